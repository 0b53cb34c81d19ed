// NetworkDriver v1, modelled on libnetwork and CNI.
//
// The core owns the records: it stores every Network, Endpoint and
// AttachResult a driver returns and hands them back on later calls, so a
// driver keeps no state of its own between calls (it may, in
// HostServices::kv, for what only it understands). Because the core replays
// stored results after a crash, delete_network, delete_endpoint and detach
// must be safe to repeat and must succeed when what they undo is already
// gone.
//
// The life of one container on one network:
//   create_network (once per network)
//   create_endpoint  -> the endpoint's address (from HostServices::ipam)
//   attach           -> the interface inside the container's network namespace
//   detach           -> undoes attach
//   delete_endpoint  -> gives the address back
//   delete_network   (when the user removes the network)
// gc(live) removes what a crash left of endpoints the core no longer knows.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::sdk::inline v1 {

struct Network {
  std::string name; // as the user calls it: "bridge", "frontend"
  std::string id;   // 64 hex digits, stable for the network's life
  // This plugin's schema, validated, defaults filled in: the network's own
  // (`network create -o`, the stack's network entry). They override the
  // plugin instance's options, which are the defaults.
  nlohmann::json options;
  bool internal = false; // no traffic leaves the network (--internal)
  // Asked for by the user ("" for "choose one"); as allocated once
  // create_network returned. IPv4 CIDR and address.
  std::string subnet;
  std::string gateway;
  // Opaque to the core; {} on a network's first create_network, what that
  // call returned on a repair.
  nlohmann::json driver_state = nlohmann::json::object();
};

struct Endpoint {
  std::string id;        // 64 hex digits
  std::string container; // the container's id, for names and diagnostics
  // Asked for (--ip, --mac-address; "" for "choose one"); as allocated once
  // create_endpoint returned. The address has no prefix length.
  std::string address;
  std::string mac;
  nlohmann::json driver_state = nlohmann::json::object(); // opaque to the core
};

// One published port. The core has already bound host_port on host_ip (so a
// conflict fails before the driver is called, and port 0 became a real port).
struct PortMapping {
  std::string host_ip; // IPv4; "" or "0.0.0.0": every address of the host
  std::uint16_t host_port = 0;
  std::uint16_t container_port = 0;
  std::string protocol = "tcp"; // "tcp" or "udp"
};

struct AttachRequest {
  Endpoint endpoint;
  std::string netns_path; // the container's network namespace; "" when !needs_netns
  std::string ifname;     // interface name inside it: "eth0", "eth1", ...
  std::vector<PortMapping> ports;
  std::vector<std::string> aliases; // names this container answers to on the network
  // (Added before SDK 1.0 was released; plugins built against an earlier
  // draft of this header must be rebuilt.)
  // Set on detach when the core destroys the namespace right after (the
  // container stopped): what lives in it, a veth pair with one end in it
  // included, then goes with it. Deleting a link waits for an RCU grace
  // period (~25 ms here); the kernel's namespace teardown does it in a
  // batch, off the caller's path, so a driver may leave such links alone.
  bool namespace_closing = false;
};

struct InterfaceInfo {
  std::string name;
  std::string mac;
  std::vector<std::string> addresses; // CIDR notation
};

struct RouteInfo {
  std::string destination; // CIDR; "0.0.0.0/0" for the default route
  std::string gateway;     // "" for on-link
};

struct AttachResult {
  std::vector<InterfaceInfo> interfaces;
  std::vector<RouteInfo> routes;
  std::vector<std::string> dns_servers; // empty: the host's resolvers
  std::vector<std::string> dns_search;
  nlohmann::json driver_state = nlohmann::json::object(); // handed back on detach
};

struct NetworkCapabilities {
  // false: containers share the host's network namespace (the host driver);
  // the core then creates no namespace and passes netns_path "".
  bool needs_netns = true;
  bool supports_ports = false;   // published ports (-p) mean something here
  bool provides_address = false; // endpoints get addresses (name resolution needs them)
};

class NetworkDriver : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = NetworkDriver;
  static constexpr const char *interface_id = "berth.network.v1";

  // Makes what the network needs (a bridge, its rules, its subnet from
  // HostServices::ipam) and returns the network with subnet, gateway and
  // driver_state filled in. Creating an existing network again succeeds and
  // repairs what is missing (after a reboot, say).
  virtual Result<Network> create_network(const Network &network) noexcept = 0;
  virtual Result<void> delete_network(const Network &network) noexcept = 0;
  virtual Result<Endpoint> create_endpoint(const Network &network,
                                           const Endpoint &endpoint) noexcept = 0;
  virtual Result<void> delete_endpoint(const Network &network,
                                       const Endpoint &endpoint) noexcept = 0;
  // Puts the endpoint into request.netns_path as request.ifname, with its
  // address, routes and published ports.
  virtual Result<AttachResult> attach(const Network &network,
                                      const AttachRequest &request) noexcept = 0;
  virtual Result<void> detach(const Network &network, const AttachRequest &request,
                              const AttachResult &attached) noexcept = 0;
  [[nodiscard]] virtual NetworkCapabilities capabilities() const noexcept = 0;
  // Removes interfaces, rules and addresses of this network's endpoints
  // whose ids are not in live_endpoints: every endpoint the core has a
  // record of, attached or not. What is left is what a crash left behind.
  virtual Result<void> gc(const Network &network,
                          const std::vector<std::string> &live_endpoints) noexcept = 0;
};

template <> struct KindOf<NetworkDriver> { static constexpr uint32_t value = BERTH_KIND_NETWORK; };

} // namespace berth::sdk::inline v1
