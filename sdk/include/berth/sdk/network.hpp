// NetworkDriver v1, modelled on libnetwork and CNI.
//
// The core stores every attach result so that detach can replay it; detach
// must therefore be safe to repeat.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::sdk::inline v1 {

struct PortMapping {
  std::string host_ip; // empty: all addresses
  std::uint16_t host_port = 0;
  std::uint16_t container_port = 0;
  std::string protocol = "tcp";
};

struct AttachRequest {
  std::string network;
  std::string endpoint;
  std::string netns_path; // the container's network namespace
  std::string ifname;     // interface name inside it, e.g. "eth0"
  std::optional<std::string> ip;
  std::optional<std::string> mac;
  std::vector<PortMapping> ports;
  std::vector<std::string> aliases;
};

struct InterfaceInfo {
  std::string name;
  std::string mac;
  std::vector<std::string> addresses; // CIDR notation
};

struct RouteInfo {
  std::string destination; // CIDR
  std::string gateway;
};

struct AttachResult {
  std::vector<InterfaceInfo> interfaces;
  std::vector<RouteInfo> routes;
  std::vector<std::string> dns_servers;
  std::vector<std::string> dns_search;
  nlohmann::json driver_state; // opaque to the core, handed back on detach
};

struct NetworkCapabilities {
  bool needs_netns = true;       // false for drivers that share the host's
  bool supports_ports = false;   // published ports
  bool supports_aliases = false; // name resolution
};

class NetworkDriver : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = NetworkDriver;
  static constexpr const char *interface_id = "berth.network.v1";

  virtual Result<void> create_network(const std::string &name,
                                      const nlohmann::json &options) noexcept = 0;
  virtual Result<void> delete_network(const std::string &name) noexcept = 0;
  virtual Result<void> create_endpoint(const std::string &network,
                                       const std::string &endpoint) noexcept = 0;
  virtual Result<void> delete_endpoint(const std::string &network,
                                       const std::string &endpoint) noexcept = 0;
  virtual Result<AttachResult> attach(const AttachRequest &request) noexcept = 0;
  virtual Result<void> detach(const AttachRequest &request,
                              const AttachResult &attached) noexcept = 0;
  [[nodiscard]] virtual NetworkCapabilities capabilities() const noexcept = 0;
  // Remove whatever belongs to endpoints not in live (left by a crash).
  virtual Result<void> gc(const std::vector<std::string> &live_endpoints) noexcept = 0;
};

template <> struct KindOf<NetworkDriver> { static constexpr uint32_t value = BERTH_KIND_NETWORK; };

} // namespace berth::sdk::inline v1
