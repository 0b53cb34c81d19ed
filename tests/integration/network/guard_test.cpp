// What must not reach a container, or the host through a bridge: a
// neighbour routing at this host reaches only published ports (never a
// container's address, never a port published on 127.0.0.1); a container
// reaches no service bound to the host's loopback (CVE-2020-8558); an
// --internal network's container reaches no published port of another.
#include "network_fixture.hpp"

#include <gtest/gtest.h>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

class NetworkGuard : public NetworkTest {
protected:
  // Makes the namespace send 127.0.0.1 to gateway over dev, as an attacker
  // with CAP_NET_ADMIN over its own namespace can: the local table's rule
  // moves behind one that routes 127.0.0.1 out, and dev accepts replies
  // from 127.0.0.1.
  static void route_loopback_out(const std::string &netns, const std::string &gateway,
                                 const std::string &dev) {
    const std::string ip = "/usr/sbin/ip";
    must({"/usr/bin/nsenter", "--net=" + netns, "/bin/sh", "-ec",
          "sysctl -qw net.ipv4.conf." + dev + ".route_localnet=1;" + ip +
              " rule add pref 10 to 127.0.0.1 lookup 100;" + ip +
              " rule add pref 100 lookup local;" + ip + " rule del pref 0;" + ip +
              " route add table 100 127.0.0.1/32 via " + gateway + " dev " + dev});
  }
};

TEST_F(NetworkGuard, ANeighbourCannotRouteToAContainersAddress) {
  const auto id = start_web({}, "hello-direct");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto address = address_of(id, "bridge");
  must({"/usr/bin/nsenter", "--net=" + outside().string(), "/usr/sbin/ip", "route", "add",
        "10.87.0.0/16", "via", kHostSide});
  // Control: the host itself reaches the container.
  ASSERT_TRUE(http_get("", address, 80).ok) << "the container does not serve";
  const auto got = http_get(outside().string(), address, 80);
  EXPECT_FALSE(got.ok) << "the outside reached " << address << ":80 directly: " << got.reply;
}

TEST_F(NetworkGuard, ANeighbourCannotReachAPortPublishedOnLoopback) {
  start_web({"-p", "127.0.0.1:18091:80"}, "hello-loopback-only");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  ASSERT_TRUE(http_get("", "127.0.0.1", 18091).ok) << "the host itself must reach it";
  route_loopback_out(outside().string(), kHostSide, "eth0");
  const auto got = http_get(outside().string(), "127.0.0.1", 18091);
  EXPECT_FALSE(got.ok) << "a neighbour reached 127.0.0.1:18091: " << got.reply;
}

TEST_F(NetworkGuard, AContainerCannotReachTheHostsLoopbackServices) {
  const auto id = run_detached({kImage, "sleep", "1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  auto listener = tcp_listen("", "127.0.0.1", 7100);
  ASSERT_TRUE(can_connect("", "127.0.0.1", 7100)) << "the host's own service is down";
  ASSERT_TRUE(accept_peer(listener.get(), 1s).has_value());
  route_loopback_out(netns_of(id), kBridgeGateway, "eth0");
  EXPECT_FALSE(can_connect(netns_of(id), "127.0.0.1", 7100))
      << "a container reached a service bound to the host's 127.0.0.1";
  EXPECT_FALSE(accept_peer(listener.get(), 0ms).has_value());
}

TEST_F(NetworkGuard, AnInternalNetworkReachesNoPublishedPortOfAnother) {
  start_web({"-p", "18092:80"}, "hello-published");
  const auto net = unique("sealed");
  create_network(net, {"--internal"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto gateway = network_inspect(net).value(
      nlohmann::json::json_pointer("/IPAM/Config/0/Gateway"), std::string{});
  ASSERT_FALSE(gateway.empty()) << network_inspect(net).dump();
  // Control: the default network does reach it through its gateway.
  const auto allowed = fetch_from({}, kBridgeGateway, 18092);
  ASSERT_NE(allowed.out.find("hello-published"), std::string::npos) << allowed.err;
  const auto fetched = fetch_from({"--network", net}, gateway, 18092);
  EXPECT_EQ(fetched.out.find("hello-published"), std::string::npos)
      << "a container on --internal " << net << " reached a published port: " << fetched.out;
}

} // namespace
} // namespace berth::testing
