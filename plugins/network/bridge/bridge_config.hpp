// What one bridge network is made of, worked out from its record: the
// options (the driver's defaults overridden by the network's own), the
// allocated subnet and gateway, and the names derived from the ids.
//
// Everything is derived again on each call rather than remembered, because
// the core hands the network record back every time.
#pragma once

#include <berth/sdk/ipv4.hpp>
#include <berth/sdk/network.hpp>

#include <string>

#include <nlohmann/json.hpp>

namespace berth::network {

struct BridgeOptions {
  std::string bridge; // "" until resolved: "br-" + short id
  int mtu = 1500;
  bool nat = true;
  bool isolate = true;
  bool host_loopback = true;
};

struct BridgePlan {
  BridgeOptions options;
  std::string network_name;
  std::string short_id; // 12 hex digits of the network id: names chains
  bool internal = false;
  bool owned = true;   // berth made the bridge, so delete_network removes it
  bool pooled = false; // subnet and gateway are known (set_pool succeeded)
  sdk::Ipv4Subnet subnet;
  sdk::Ipv4 gateway;

  [[nodiscard]] bool masquerade() const { return options.nat && !internal; }
};

// Reads and checks options (defaults, then overrides on top); the bridge
// name stays "" when not given. Errc::invalid_argument names the key.
sdk::Result<BridgeOptions> parse_options(const nlohmann::json &defaults,
                                         const nlohmann::json &overrides);

// The plan of network without its subnet: options resolved, the bridge
// named (driver_state's name wins, so a created network keeps its bridge).
sdk::Result<BridgePlan> plan_network(const nlohmann::json &defaults, const sdk::Network &network);

// Fills in subnet and gateway ("10.88.0.0/16", "10.88.0.1").
sdk::Result<void> set_pool(BridgePlan &plan, const std::string &subnet, const std::string &gateway);

// Whether id starts with at least digits hex digits (ids are 64).
bool is_hex_id(const std::string &id, std::size_t digits);

// The host end of an endpoint's veth pair: "vb" + 13 hex digits of its id,
// the 15 characters an interface name may have.
std::string host_ifname(const std::string &endpoint_id);

// Checks an interface name the kernel and nft both take unquoted-safe:
// 1-15 characters of [A-Za-z0-9_.-].
sdk::Result<void> check_ifname(const std::string &name, const std::string &what);

} // namespace berth::network
