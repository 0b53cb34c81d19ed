// The harness for the network tests: ContainerTest's (the real berth binary,
// a temp root, a busybox image, a private mount namespace, a subreaper) in a
// network namespace of its own, so that bridges, veths, nftables rules and
// sysctls never reach the host's.
//
// The suite leaves the host's network namespace before anything else, and
// each test then starts in a fresh one: what one test leaves behind (a
// bridge, a rule) cannot change what the next sees. Each test also gets an
// "outside world": another namespace, bind-mounted on a file, joined to the
// test's by a veth pair (outside0 192.0.2.1/24 here, eth0 192.0.2.2/24
// there), to stand for a remote host.
//
// After each test, every container is removed and the test fails if a veth,
// a published port's nftables element, a user network or a berth-shim is
// left.
#pragma once

#include "../containers/container_fixture.hpp"

#include "network_sockets.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::testing {

// An image whose config exposes 80/tcp and 5353/udp, for -P.
inline constexpr const char *kExposedImage = "exposed:test";
inline constexpr const char *kHostSide = "192.0.2.1";      // this test's end of the outside link
inline constexpr const char *kOutsidePeer = "192.0.2.2";   // the outside namespace
inline constexpr const char *kBridgeGateway = "10.87.0.1"; // the default network's (default.yaml)

class NetworkTest : public ContainerTest {
protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // The outside namespace's file, for setns and nsenter --net=.
  [[nodiscard]] const std::filesystem::path &outside() const { return outside_; }

  // `network create ARGS... NAME`: asserts that it worked; the network's id.
  std::string create_network(const std::string &name, const std::vector<std::string> &args = {});
  // `run -d busybox httpd` serving body at / on port 80, with flags before
  // the image; waits until it listens. The container's id.
  std::string start_web(const std::vector<std::string> &flags, const std::string &body);
  // `GET /` from a throwaway container on network (its flags first) to
  // host:port, through busybox nc: the exit code and what came back.
  Completed fetch_from(const std::vector<std::string> &flags, const std::string &host,
                       int port = 80) const;
  // Loads kExposedImage into this test's root.
  void load_exposed_image();

  // /proc/PID/ns/net of the container's init.
  [[nodiscard]] std::string netns_of(const std::string &container) const;
  // The container's address on network, from inspect's NetworkSettings.
  [[nodiscard]] std::string address_of(const std::string &container,
                                       const std::string &network) const;
  [[nodiscard]] nlohmann::json network_inspect(const std::string &network) const;
  // The names `network ls --format json` lists.
  [[nodiscard]] std::vector<std::string> network_names() const;
  // `run ARGS...` that must fail: asserts that exit code and a one-line
  // stderr, and returns that line.
  std::string run_fails(const std::vector<std::string> &args, int code = 125);

  // The addresses IPAM holds for endpoints, from root/berth.db: what a
  // leaked endpoint would keep.
  [[nodiscard]] std::vector<std::string> held_addresses() const;

  // A name no other test uses (stem-N).
  static std::string unique(const std::string &stem);
  // The host-side veths of bridge endpoints ("vb..." in `ip -o link`).
  static std::vector<std::string> endpoint_veths();
  static std::vector<std::string> listed_veths();
  // The elements of the published-port maps of nftables table `ip berth`.
  static std::vector<std::string> port_elements();
  // Runs a program, failing the test (not aborting it) when it fails.
  static Completed must(const std::vector<std::string> &argv);

private:
  void make_outside();
  void check_nothing_left();

  static std::unique_ptr<TempDir> exposed_dir_;
  std::filesystem::path outside_;
  bool set_up_ = false;
};

} // namespace berth::testing
