// The nftables text of bridge networks. Every berth bridge network of a
// namespace shares one table, `ip berth`:
//
//   set bridges             the bridges' names (isolation, hairpin masquerade)
//   set subnets             the bridges' subnets (hairpin masquerade)
//   map ports_any           proto . port -> address . port (published on every address)
//   map ports_ip            host address . proto . port -> address . port
//   vmaps post_nets, fwd_in, fwd_out: bridge name -> jump to its network's chain
//
// The base chains look packets up in those maps, so publishing a port or
// adding a network adds elements, never rules, and the base rules stay the
// same few whatever the number of networks and ports.
//
// Every batch here is written to be repeated: `add` of a table, chain, set
// or map that exists is a no-op, chains are flushed before their rules are
// added again, and an element that may be missing is added before it is
// deleted (nft 1.0.6 has no `destroy`).
#pragma once

#include "bridge/bridge_config.hpp"

#include <berth/sdk/ipv4.hpp>
#include <berth/sdk/network.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::network {

// One element of ports_any or ports_ip.
struct PortElement {
  std::string map;   // "ports_any" or "ports_ip"
  std::string key;   // "tcp . 8080" or "127.0.0.1 . tcp . 8080"
  std::string value; // "10.88.0.2 . 80"
};

// The table, its sets and maps, and the base chains, flushed and filled
// again.
std::string base_rules();
// plan's chains, flushed and filled again, and its elements in the sets.
std::string network_rules(const BridgePlan &plan);
// The command listing the map that dispatches each bridge's outgoing
// traffic to its network's chain, and the chain this plan's network uses.
inline constexpr const char *kDispatchListing = "list map ip berth post_nets";
std::string dispatch_chain(const BridgePlan &plan);
// The chain a kDispatchListing JSON document sends bridge's traffic to;
// empty when the bridge has no entry.
std::string dispatched_to(const nlohmann::json &listing, const std::string &bridge);
// Undoes network_rules(plan); repeatable. Fails with not_found when the
// table is gone, which leaves nothing to undo.
std::string remove_network_rules(const BridgePlan &plan);

// The elements publishing ports to address. Errc::invalid_argument for a
// protocol other than tcp/udp, a host address that is not IPv4 or a port 0.
sdk::Result<std::vector<PortElement>> port_elements(const std::vector<sdk::PortMapping> &ports,
                                                    sdk::Ipv4 address);
std::string add_elements(const std::vector<PortElement> &elements);
// Deletes elements whether or not they are there. Fails with not_found
// when the table is gone (nothing to delete) and with already_exists when a
// key is there with another value, i.e. belongs to someone else.
std::string remove_elements(const std::vector<PortElement> &elements);

// The elements of a `list map` JSON document of map, with the container
// address each one targets.
std::vector<std::pair<PortElement, sdk::Ipv4>> elements_of(const nlohmann::json &listing,
                                                           const std::string &map);

} // namespace berth::network
