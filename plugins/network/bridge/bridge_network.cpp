// The network's own parts: the bridge, its rules, its pool, and collecting
// what crashed endpoints left behind.
#include "bridge/bridge_driver.hpp"

#include "bridge/bridge_rules.hpp"
#include "common/mac.hpp"
#include "common/sysctl.hpp"

#include <net/if.h>

namespace berth::network {
namespace {

sdk::Error in_network(sdk::Error error, const std::string &network) {
  error.context = error.context.empty() ? network : network + ": " + error.context;
  return error;
}

} // namespace

sdk::Result<sdk::Network> BridgeDriver::make_network(const sdk::Network &network) {
  auto plan = plan_network(defaults_, network);
  if (!plan.ok()) {
    return std::move(plan).error();
  }
  // A network the core has recorded carries our driver_state; without it
  // this is the first creation, which rolls back entirely on failure. A
  // repair must never roll back: the network has endpoints.
  const bool first = !network.driver_state.contains("bridge");
  auto pool = host_.ipam().request_pool(network.id, network.subnet, network.gateway);
  if (!pool.ok()) {
    return in_network(std::move(pool).error(), network.name);
  }
  bool created = false;
  auto done = set_pool(*plan, pool->subnet, pool->gateway);
  if (done.ok()) {
    done = set_up(*plan, created);
  }
  if (!done.ok()) {
    if (first) {
      (void)nft_.run(remove_network_rules(*plan), network.name);
      if (created) {
        if (auto netlink = Netlink::open(); netlink.ok()) {
          (void)netlink->delete_link(plan->options.bridge);
        }
      }
      (void)host_.ipam().release_pool(network.id);
    }
    return std::move(done).error();
  }
  sdk::Network out = network;
  out.subnet = pool->subnet;
  out.gateway = pool->gateway;
  // A bridge named after the network is ours even when an earlier, crashed
  // create made it; one the user named and made beforehand is not.
  const bool owned =
      first ? created || plan->options.bridge == "br-" + plan->short_id : plan->owned;
  out.driver_state = {{"bridge", plan->options.bridge}, {"owned", owned}};
  return out;
}

sdk::Result<bool> BridgeDriver::ensure_bridge(Netlink &netlink, const BridgePlan &plan) {
  const auto &name = plan.options.bridge;
  auto found = netlink.link(name);
  if (!found.ok()) {
    return std::move(found).error();
  }
  if (found->has_value()) {
    if ((*found)->kind != "bridge") {
      return sdk::make_error(sdk::Errc::already_exists,
                             "interface '" + name + "' exists and is not a bridge (kind '" +
                                 (*found)->kind +
                                 "'); set the network's `bridge` option to another name",
                             plan.network_name);
    }
    return false;
  }
  // The bridge's MAC is fixed from the gateway: a bridge without one
  // takes its lowest port's, and changes it as containers come and go.
  auto made =
      netlink.run(rtnl::new_bridge(name, plan.options.mtu, format_mac(mac_for(plan.gateway))));
  if (!made.ok() && made.error().code != sdk::Errc::already_exists) {
    return std::move(made).error(); // already_exists: another process just made it
  }
  return made.ok();
}

// Another network's rules on an existing bridge mean another berth root in
// this network namespace (two engines on one host) uses that bridge name:
// refused before this network adds its address or rules to it.
sdk::Result<void> BridgeDriver::check_not_taken(const BridgePlan &plan) {
  auto listing = nft_.list(kDispatchListing, plan.network_name);
  if (!listing.ok()) {
    return listing.error().code == sdk::Errc::not_found ? sdk::Result<void>{}
                                                        : std::move(listing).error();
  }
  const auto chain = dispatched_to(*listing, plan.options.bridge);
  if (chain.empty() || chain == dispatch_chain(plan)) {
    return {};
  }
  return sdk::make_error(
      sdk::Errc::already_exists,
      "bridge '" + plan.options.bridge + "' already carries another network (its rules jump to " +
          chain + "), perhaps of another berth root in this network namespace; give this " +
          "network a bridge of its own with the `bridge` option (-o bridge=NAME)",
      plan.network_name);
}

sdk::Result<void> BridgeDriver::set_up(const BridgePlan &plan, bool &created) {
  const auto &name = plan.options.bridge;
  auto netlink = Netlink::open();
  if (!netlink.ok()) {
    return std::move(netlink).error();
  }
  auto made = ensure_bridge(*netlink, plan);
  if (!made.ok()) {
    return std::move(made).error();
  }
  created = *made;
  if (!created) {
    if (auto free = check_not_taken(plan); !free.ok()) {
      return free;
    }
  }
  auto link = netlink->link(name);
  if (!link.ok() || !link->has_value()) {
    return link.ok() ? sdk::make_error(sdk::Errc::not_found, "the bridge vanished", name)
                     : std::move(link).error();
  }
  const auto index = (*link)->index;
  auto address = netlink->run(rtnl::new_address(index, plan.gateway, plan.subnet.prefix, name));
  if (!address.ok() && address.error().code != sdk::Errc::already_exists) {
    return address;
  }
  if (!(*link)->up) {
    if (auto up = netlink->run(rtnl::link_up(index, name)); !up.ok()) {
      return up;
    }
  }
  if (plan.masquerade()) {
    if (auto forward = write_sysctl("net/ipv4/ip_forward", "1"); !forward.ok()) {
      return forward;
    }
  }
  if (plan.options.host_loopback) {
    // Lets DNAT send host loopback traffic (127.0.0.1:PORT) to the bridge.
    auto localnet = write_sysctl("net/ipv4/conf/" + name + "/route_localnet", "1");
    if (!localnet.ok()) {
      return localnet;
    }
  }
  return nft_.run(base_rules() + network_rules(plan), plan.network_name);
}

sdk::Result<void> BridgeDriver::remove_network(const sdk::Network &network) {
  auto plan = plan_network(defaults_, network);
  if (!plan.ok()) {
    return std::move(plan).error();
  }
  if (set_pool(*plan, network.subnet, network.gateway).ok()) {
    if (auto collected = collect(*plan, network, {}); !collected.ok()) {
      return collected;
    }
  }
  auto rules = nft_.run(remove_network_rules(*plan), network.name);
  if (!rules.ok() && rules.error().code != sdk::Errc::not_found) {
    return rules; // not_found: no table, so no rules (after a reboot, say)
  }
  if (plan->owned) {
    auto netlink = Netlink::open();
    if (!netlink.ok()) {
      return std::move(netlink).error();
    }
    // Only a bridge: the name may have been reused since.
    auto link = netlink->link(plan->options.bridge);
    if (!link.ok()) {
      return std::move(link).error();
    }
    if (link->has_value() && (*link)->kind == "bridge") {
      if (auto deleted = netlink->delete_link(plan->options.bridge); !deleted.ok()) {
        return deleted;
      }
    }
  }
  return host_.ipam().release_pool(network.id);
}

sdk::Result<void> BridgeDriver::collect(const BridgePlan &plan, const sdk::Network &network,
                                        const std::set<std::string> &live) {
  std::set<std::string> live_ifnames;
  for (const auto &id : live) {
    live_ifnames.insert(host_ifname(id));
  }
  if (auto links = collect_links(plan, live_ifnames); !links.ok()) {
    return links;
  }
  auto allocations = host_.ipam().allocations(network.id);
  if (!allocations.ok()) {
    return in_network(std::move(allocations).error(), network.name);
  }
  std::set<std::string> live_addresses;
  for (const auto &[address, owner] : *allocations) {
    if (live.contains(owner)) {
      live_addresses.insert(address);
    }
  }
  // Rules before addresses: once an address is free it may be handed out
  // again, and its new owner's ports must not look stale.
  if (auto ports = collect_ports(plan, live_addresses); !ports.ok()) {
    return ports;
  }
  for (const auto &[address, owner] : *allocations) {
    if (!live.contains(owner)) {
      host_.logger().info("bridge " + plan.options.bridge + ": releasing " + address +
                          " of gone endpoint " + owner.substr(0, 12));
      if (auto released = host_.ipam().release_address(network.id, owner); !released.ok()) {
        return released;
      }
    }
  }
  return {};
}

sdk::Result<void> BridgeDriver::collect_links(const BridgePlan &plan,
                                              const std::set<std::string> &live_ifnames) {
  const auto bridge = static_cast<int>(::if_nametoindex(plan.options.bridge.c_str()));
  if (bridge == 0) {
    return {}; // no bridge, no ports on it
  }
  auto netlink = Netlink::open();
  if (!netlink.ok()) {
    return std::move(netlink).error();
  }
  auto links = netlink->links(bridge);
  if (!links.ok()) {
    return std::move(links).error();
  }
  for (const auto &link : *links) {
    if (link.kind != "veth" || !link.name.starts_with("vb") || live_ifnames.contains(link.name)) {
      continue;
    }
    host_.logger().info("bridge " + plan.options.bridge + ": deleting leftover " + link.name);
    if (auto deleted = netlink->delete_link(link.name); !deleted.ok()) {
      return deleted;
    }
  }
  return {};
}

sdk::Result<void> BridgeDriver::collect_ports(const BridgePlan &plan,
                                              const std::set<std::string> &live_addresses) {
  std::vector<PortElement> stale;
  for (const char *map : {"ports_any", "ports_ip"}) {
    auto listing = nft_.list(std::string("list map ip berth ") + map, plan.network_name);
    if (!listing.ok()) {
      if (listing.error().code == sdk::Errc::not_found) {
        continue; // no table yet: nothing published
      }
      return std::move(listing).error();
    }
    for (auto &[element, target] : elements_of(*listing, map)) {
      if (plan.subnet.contains(target) && !live_addresses.contains(target.str())) {
        stale.push_back(std::move(element));
      }
    }
  }
  if (stale.empty()) {
    return {};
  }
  host_.logger().info("bridge " + plan.options.bridge + ": deleting " +
                      std::to_string(stale.size()) + " leftover published port(s)");
  return remove_ports(stale, plan.network_name);
}

} // namespace berth::network
