// One endpoint in one container: the veth pair, the address and route
// inside the namespace, and the published ports.
#include "bridge/bridge_driver.hpp"

#include "bridge/bridge_rules.hpp"
#include "common/mac.hpp"

#include <fcntl.h>
#include <net/if.h>

#include <algorithm>

namespace berth::network {
namespace {

sdk::Error invalid(const std::string &what, const std::string &context) {
  return sdk::make_error(sdk::Errc::invalid_argument, what, context);
}

// What attach needs from the request, checked before anything is made.
struct Target {
  sdk::Ipv4 address;
  std::string mac;
  std::vector<PortElement> ports;
};

sdk::Result<Target> check_request(const BridgePlan &plan, const sdk::AttachRequest &request) {
  const auto &endpoint = request.endpoint;
  const auto context = plan.network_name + ": endpoint " + endpoint.id.substr(0, 12);
  if (!is_hex_id(endpoint.id, 13)) {
    return invalid("endpoint id '" + endpoint.id + "' is not a hex id of 13+ digits", context);
  }
  if (request.netns_path.empty()) {
    return invalid("the bridge driver needs the container's network namespace, got none", context);
  }
  if (auto name = check_ifname(request.ifname, "ifname"); !name.ok()) {
    return std::move(name).error();
  }
  const auto address = sdk::Ipv4::parse(endpoint.address);
  if (!address || !plan.subnet.is_host(*address) || *address == plan.gateway) {
    return invalid("address '" + endpoint.address + "' is not a host address of " +
                       plan.subnet.str() + "; create_endpoint assigns one",
                   context);
  }
  const auto mac = endpoint.mac.empty() ? mac_for(*address) : parse_mac(endpoint.mac);
  if (!mac) {
    return invalid("'" + endpoint.mac + "' is not a MAC address", context);
  }
  auto ports = port_elements(request.ports, *address);
  if (!ports.ok()) {
    return std::move(ports).error();
  }
  return Target{*address, format_mac(*mac), std::move(ports).value()};
}

// The veth pair and, in the same sendmsg, hairpin mode on its bridge port:
// with br_netfilter loaded, a container reaching its own published port is
// DNATed inside the bridge, and the frame must leave by the port it came in.
sdk::Result<void> create_pair(Netlink &host, const VethSpec &spec) {
  std::vector<Request> requests;
  requests.push_back(rtnl::new_veth(spec));
  requests.push_back(rtnl::hairpin(spec.host_name));
  auto results = host.run(std::move(requests));
  if (!results[0].ok()) {
    return std::move(results[0]);
  }
  if (!results[1].ok()) {
    (void)host.delete_link(spec.host_name);
  }
  return std::move(results[1]);
}

} // namespace

sdk::Result<sdk::AttachResult> BridgeDriver::plug(const sdk::Network &network,
                                                  const sdk::AttachRequest &request) {
  auto plan = plan_of(network);
  if (!plan.ok()) {
    return std::move(plan).error();
  }
  auto target = check_request(*plan, request);
  if (!target.ok()) {
    return std::move(target).error();
  }
  const auto &bridge = plan->options.bridge;
  // After a reboot, or in a fresh namespace, the bridge and its rules are
  // gone: set them up again. One ioctl when all is well.
  auto master = static_cast<int>(::if_nametoindex(bridge.c_str()));
  if (master == 0) {
    bool created = false;
    if (auto repaired = set_up(*plan, created); !repaired.ok()) {
      return std::move(repaired).error();
    }
    master = static_cast<int>(::if_nametoindex(bridge.c_str()));
    if (master == 0) {
      return sdk::errno_error("if_nametoindex", bridge);
    }
  }
  UniqueFd netns(::open(request.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns.valid()) {
    return sdk::errno_error("open network namespace", request.netns_path);
  }
  auto host = Netlink::open();
  if (!host.ok()) {
    return std::move(host).error();
  }
  const VethSpec spec{host_ifname(request.endpoint.id),
                      master,
                      plan->options.mtu,
                      request.ifname,
                      target->mac,
                      netns.get()};
  const auto context = network.name + ": endpoint " + request.endpoint.id.substr(0, 12);
  if (auto made = create_veth(*host, spec, request.netns_path, context); !made.ok()) {
    return std::move(made).error();
  }
  // From here on a failure deletes the veth again, which takes the peer
  // (and its address and route) with it.
  auto routes = configure_inside(*plan, request, netns.get(), target->address);
  sdk::Result<void> published;
  if (routes.ok() && !target->ports.empty()) {
    if (plan->internal) {
      host_.logger().warn(network.name + ": internal network; ports of endpoint " +
                          request.endpoint.id.substr(0, 12) + " are not published");
    } else {
      published = publish(target->ports, context);
    }
  }
  if (!routes.ok() || !published.ok()) {
    (void)host->delete_link(spec.host_name);
    return routes.ok() ? std::move(published).error() : std::move(routes).error();
  }
  sdk::AttachResult result;
  result.interfaces.push_back(
      {request.ifname, target->mac, {plan->subnet.cidr_of(target->address)}});
  result.routes = std::move(routes).value();
  result.driver_state = {{"host_ifname", spec.host_name}};
  return result;
}

sdk::Result<void> BridgeDriver::create_veth(Netlink &host, const VethSpec &spec,
                                            const std::string &netns, const std::string &context) {
  auto made = create_pair(host, spec);
  if (made.ok() || made.error().code != sdk::Errc::already_exists) {
    return made;
  }
  // Either end's name may be the one taken. The host end left over from an
  // attach that was never recorded is ours to replace; a taken name inside
  // the container is the caller's to resolve.
  auto stale = host.link(spec.host_name);
  if (!stale.ok() || !stale->has_value()) {
    return sdk::make_error(sdk::Errc::already_exists,
                           "interface '" + spec.peer_name + "' already exists in " + netns +
                               "; detach it first or choose another interface name",
                           context);
  }
  host_.logger().info("replacing leftover " + spec.host_name);
  if (auto deleted = host.delete_link(spec.host_name); !deleted.ok()) {
    return deleted;
  }
  return create_pair(host, spec);
}

sdk::Result<std::vector<sdk::RouteInfo>>
BridgeDriver::configure_inside(const BridgePlan &plan, const sdk::AttachRequest &request,
                               int netns_fd, sdk::Ipv4 address) {
  auto inside = Netlink::open_in(netns_fd, request.netns_path);
  if (!inside.ok()) {
    return std::move(inside).error();
  }
  auto index = inside->index_of(request.ifname);
  if (!index.ok()) {
    return std::move(index).error();
  }
  std::vector<Request> requests;
  requests.push_back(rtnl::new_address(*index, address, plan.subnet.prefix, request.ifname));
  requests.push_back(rtnl::link_up(*index, request.ifname));
  requests.push_back(rtnl::link_up(kLoopbackIndex, "lo"));
  if (!plan.internal) { // no way out, so no default route
    requests.push_back(rtnl::new_default_route(*index, plan.gateway, request.ifname));
  }
  // One sendmsg for all of them: the kernel runs them in order.
  auto results = inside->run(std::move(requests));
  for (std::size_t i = 0; i < 3; ++i) {
    if (!results[i].ok()) {
      return std::move(results[i]).error();
    }
  }
  std::vector<sdk::RouteInfo> routes;
  if (plan.internal) {
    return routes;
  }
  auto &route = results[3];
  if (route.ok()) {
    routes.push_back({"0.0.0.0/0", plan.gateway.str()});
  } else if (route.error().code == sdk::Errc::already_exists) {
    // The container is on another network that gave it a default route
    // first; as with Docker, the first one stays.
    host_.logger().debug(plan.network_name + ": " + request.ifname +
                         " gets no default route; the namespace has one");
  } else {
    return std::move(route).error();
  }
  return routes;
}

sdk::Result<void> BridgeDriver::unplug(const sdk::Network &network,
                                       const sdk::AttachRequest &request,
                                       const sdk::AttachResult &attached) {
  auto host_name = host_ifname(request.endpoint.id);
  if (attached.driver_state.is_object()) {
    host_name = attached.driver_state.value("host_ifname", host_name);
  }
  // Deleting one end of a veth pair deletes the other; so does the end of
  // the namespace its container end lives in, off our path.
  if (!request.namespace_closing) {
    auto host = Netlink::open();
    if (!host.ok()) {
      return std::move(host).error();
    }
    if (auto deleted = host->delete_link(host_name); !deleted.ok()) {
      return deleted;
    }
  }
  const auto address = sdk::Ipv4::parse(request.endpoint.address);
  if (request.ports.empty() || network.internal || !address) {
    return {}; // nothing was published
  }
  auto elements = port_elements(request.ports, *address);
  if (!elements.ok()) {
    return {}; // attach refused these ports, so none were published
  }
  return remove_ports(*elements, network.name);
}

sdk::Result<void> BridgeDriver::publish(const std::vector<PortElement> &ports,
                                        const std::string &context) {
  // One batch, so that either every port is published or none is.
  auto added = nft_.run(add_elements(ports), context);
  if (added.ok() || added.error().code != sdk::Errc::already_exists) {
    return added;
  }
  // The core holds every host port it hands us, so a mapping already there
  // for one is what a crash left behind: replace it.
  std::vector<PortElement> stale;
  for (const char *map : {"ports_any", "ports_ip"}) {
    auto listing = nft_.list(std::string("list map ip berth ") + map, context);
    if (!listing.ok()) {
      return std::move(listing).error();
    }
    for (auto &found : elements_of(*listing, map)) {
      auto &element = found.first; // not a structured binding: the lambda captures it
      const bool ours = std::any_of(ports.begin(), ports.end(), [&](const PortElement &port) {
        return port.map == element.map && port.key == element.key;
      });
      if (ours) {
        host_.logger().info(context + ": replacing leftover port mapping " + element.key + " -> " +
                            element.value);
        stale.push_back(std::move(element));
      }
    }
  }
  if (auto removed = remove_ports(stale, context); !removed.ok()) {
    return removed;
  }
  return nft_.run(add_elements(ports), context);
}

sdk::Result<void> BridgeDriver::remove_ports(const std::vector<PortElement> &elements,
                                             const std::string &context) {
  auto removed = nft_.run(remove_elements(elements), context);
  if (removed.ok() || removed.error().code == sdk::Errc::not_found) {
    return {}; // not_found: no table, so nothing published (after a reboot, say)
  }
  if (removed.error().code != sdk::Errc::already_exists) {
    return removed;
  }
  // Some key maps to another endpoint now (this one's mapping went away and
  // the port was published again): leave those, delete the rest one by one.
  for (const auto &element : elements) {
    auto one = nft_.run(remove_elements({element}), context);
    if (!one.ok() && one.error().code != sdk::Errc::already_exists &&
        one.error().code != sdk::Errc::not_found) {
      return one;
    }
  }
  return {};
}

} // namespace berth::network
