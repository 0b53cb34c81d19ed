// Networks and the containers on them: `berth network ...`, and what
// start/stop/rm need: a network namespace per running container, its
// endpoints on each network it joined, published ports, and /etc/hosts.
//
// Every change that touches the kernel is recorded first and replayed on
// teardown, so a crash in the middle (of berth or of a monitor) leaves
// nothing the next command cannot find and undo.
#pragma once

#include "network/network_store.hpp"
#include "network/published_port.hpp"
#include "util/fd.hpp"

#include <berth/sdk/network.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace berth {

// A network the stack file defines (network.networks).
struct PredefinedNetwork {
  std::string name;
  std::string plugin;
  nlohmann::json options; // validated, defaults filled in
  std::string subnet;
  std::string gateway;
  bool internal = false;
};

struct NetworkDriverHandle {
  std::shared_ptr<sdk::NetworkDriver> driver;
  std::string plugin_file;
};

struct NetworkEnvironment {
  std::filesystem::path root;
  std::vector<PredefinedNetwork> predefined;
  std::string default_network;
  // A driver instance of plugin; file is the library a monitor recorded, ""
  // for the engine's own choice.
  std::function<sdk::Result<NetworkDriverHandle>(const std::string &plugin,
                                                 const std::string &file)>
      driver;
  // -o key=value options checked against plugin's schema, defaults filled in.
  std::function<sdk::Result<nlohmann::json>(const std::string &plugin,
                                            const nlohmann::json &options)>
      validate_options;
};

struct NetworkCreateRequest {
  std::string name;
  std::string driver; // "" for the default network's driver
  std::string subnet;
  std::string gateway;
  bool internal = false;
  std::map<std::string, std::string> options; // -o key=value
  std::map<std::string, std::string> labels;
};

// How a container's network namespace comes about.
struct NetworkPlacement {
  bool host = false; // the host's namespace (no network namespace in the spec)
  std::string netns; // a namespace file the engine makes at start; "" with host
};

struct SandboxRequest {
  std::string container;
  std::string name;
  std::string hostname;
  std::vector<PublishedPort> ports;
  std::vector<std::string> extra_hosts; // --add-host "name:ip"
  std::filesystem::path hosts_file;
  std::filesystem::path resolv_file;
  bool custom_dns = false; // --dns given: leave resolv.conf alone
};

// What start hands the monitor: the bound host ports, held while it lives
// so that no other program takes them.
struct SandboxSetup {
  std::vector<UniqueFd> port_sockets;
  std::vector<sdk::PortMapping> ports;
};

class NetworkService {
public:
  explicit NetworkService(NetworkEnvironment environment);
  ~NetworkService();
  NetworkService(const NetworkService &) = delete;
  NetworkService &operator=(const NetworkService &) = delete;
  NetworkService(NetworkService &&) = delete;
  NetworkService &operator=(NetworkService &&) = delete;

  // For a monitor that outlives the command that started it: drivers come
  // from the plugin files recorded with each endpoint.
  static std::unique_ptr<NetworkService> for_monitor(const std::filesystem::path &root);

  sdk::Result<NetworkRecord> create(const NetworkCreateRequest &request);
  sdk::Result<std::vector<NetworkRecord>> list();
  // By name, full id or unique id prefix; predefined networks are created
  // on first use.
  sdk::Result<NetworkRecord> find(const std::string &reference);
  sdk::Result<nlohmann::json> inspect(const std::string &reference);
  sdk::Result<void> remove(const std::string &reference);
  // Removes user-defined networks no container is on; their names.
  sdk::Result<std::vector<std::string>> prune();

  // Records that container joins network ("" for the stack's default) and
  // says where its namespace comes from. Checks the network exists, that
  // --ip fits its subnet, and that ports mean something there.
  sdk::Result<NetworkPlacement> join(const std::string &container, const std::string &network,
                                     const std::vector<std::string> &aliases, const std::string &ip,
                                     bool publishes_ports);
  sdk::Result<void> leave(const std::string &container, const std::string &network);
  // After rm: no membership, no sandbox, nothing attached.
  sdk::Result<void> forget(const std::string &container);
  // The containers this service has records of (memberships, sandboxes,
  // endpoints).
  sdk::Result<std::set<std::string>> containers();
  [[nodiscard]] bool has_networks() const noexcept;

  // At start: the namespace, every membership attached, ports bound and
  // mapped, /etc/hosts written for it and its peers. All or nothing.
  sdk::Result<SandboxSetup> setup(const SandboxRequest &request);
  // Undoes setup; safe to repeat, and after a crash.
  sdk::Result<void> teardown(const std::string &container);
  // network connect/disconnect of a running container.
  sdk::Result<void> attach_running(const std::string &container, const std::string &network);
  sdk::Result<void> detach_running(const std::string &container, const std::string &network);

  // The published ports of a running container, as bound.
  std::vector<sdk::PortMapping> ports(const std::string &container);
  // NetworkSettings for inspect: each network with its address, gateway, mac.
  nlohmann::json settings(const std::string &container);
  // Lets each driver remove what it has of endpoints nobody recorded (a
  // crash inside attach); recorded ones are torn down from their records.
  sdk::Result<void> gc();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace berth
