#include "bridge/bridge_driver.hpp"

#include "common/mac.hpp"

#include <exception>

namespace berth::network {
namespace {

// Interface methods are noexcept; what may throw inside (allocation, JSON
// access) comes back as an internal error instead of terminating.
template <class Body>
auto guarded(const std::string &context, Body &&body) noexcept -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), context);
  } catch (...) {
    return sdk::make_error(sdk::Errc::internal, "unknown exception", context);
  }
}

// The endpoint's MAC in canonical form: the one asked for, or one derived
// from its address.
sdk::Result<std::string> endpoint_mac(const sdk::Endpoint &endpoint, sdk::Ipv4 address) {
  if (endpoint.mac.empty()) {
    return format_mac(mac_for(address));
  }
  const auto mac = parse_mac(endpoint.mac);
  if (!mac || ((*mac)[0] & 1U) != 0 || *mac == Mac{}) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "'" + endpoint.mac +
                               "' is not a unicast MAC address; write six hex octets such as "
                               "02:42:0a:58:00:02",
                           "endpoint " + endpoint.id.substr(0, 12) + ": mac");
  }
  return format_mac(*mac);
}

} // namespace

sdk::Result<std::unique_ptr<BridgeDriver>> BridgeDriver::create(sdk::HostServices &host,
                                                                const nlohmann::json &options) {
  // Check the driver-wide defaults now, so that a bad stack file fails at
  // load time rather than at the first network.
  auto parsed = parse_options(options, nlohmann::json::object());
  if (!parsed.ok()) {
    return std::move(parsed).error();
  }
  return std::make_unique<BridgeDriver>(host, options);
}

BridgeDriver::BridgeDriver(sdk::HostServices &host, nlohmann::json defaults)
    : host_(host), defaults_(std::move(defaults)) {}

sdk::NetworkCapabilities BridgeDriver::capabilities() const noexcept {
  return {.needs_netns = true, .supports_ports = true, .provides_address = true};
}

sdk::Result<BridgePlan> BridgeDriver::plan_of(const sdk::Network &network) {
  auto plan = plan_network(defaults_, network);
  if (!plan.ok()) {
    return plan;
  }
  if (network.subnet.empty() || network.gateway.empty()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "the network has no subnet yet; create_network must run first",
                           network.name);
  }
  if (auto pool = set_pool(*plan, network.subnet, network.gateway); !pool.ok()) {
    return std::move(pool).error();
  }
  return plan;
}

sdk::Result<sdk::Network> BridgeDriver::create_network(const sdk::Network &network) noexcept {
  return guarded(network.name, [&] { return make_network(network); });
}

sdk::Result<void> BridgeDriver::delete_network(const sdk::Network &network) noexcept {
  return guarded(network.name, [&] { return remove_network(network); });
}

sdk::Result<sdk::Endpoint> BridgeDriver::create_endpoint(const sdk::Network &network,
                                                         const sdk::Endpoint &endpoint) noexcept {
  return guarded(network.name, [&]() -> sdk::Result<sdk::Endpoint> {
    if (!is_hex_id(endpoint.id, 13)) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "endpoint id '" + endpoint.id + "' is not a hex id of 13+ digits",
                             network.name);
    }
    // Check the MAC before taking an address, so a bad one leaves nothing.
    if (auto mac = endpoint_mac(endpoint, sdk::Ipv4{}); !mac.ok()) {
      return std::move(mac).error();
    }
    auto address = host_.ipam().request_address(network.id, endpoint.id, endpoint.address);
    if (!address.ok()) {
      auto error = std::move(address).error();
      error.context = network.name + ": " + error.context;
      return error;
    }
    const auto ip = sdk::Ipv4::parse(*address);
    if (!ip) {
      return sdk::make_error(sdk::Errc::internal, "IPAM returned '" + *address + "'", network.name);
    }
    sdk::Endpoint made = endpoint;
    made.address = *address;
    made.mac = endpoint_mac(endpoint, *ip).value();
    return made;
  });
}

sdk::Result<void> BridgeDriver::delete_endpoint(const sdk::Network &network,
                                                const sdk::Endpoint &endpoint) noexcept {
  return guarded(network.name,
                 [&] { return host_.ipam().release_address(network.id, endpoint.id); });
}

sdk::Result<sdk::AttachResult> BridgeDriver::attach(const sdk::Network &network,
                                                    const sdk::AttachRequest &request) noexcept {
  return guarded(network.name, [&] { return plug(network, request); });
}

sdk::Result<void> BridgeDriver::detach(const sdk::Network &network,
                                       const sdk::AttachRequest &request,
                                       const sdk::AttachResult &attached) noexcept {
  return guarded(network.name, [&] { return unplug(network, request, attached); });
}

sdk::Result<void> BridgeDriver::gc(const sdk::Network &network,
                                   const std::vector<std::string> &live_endpoints) noexcept {
  return guarded(network.name, [&]() -> sdk::Result<void> {
    if (network.subnet.empty()) {
      return {}; // never created: nothing can be left over
    }
    auto plan = plan_of(network);
    if (!plan.ok()) {
      return std::move(plan).error();
    }
    return collect(*plan, network, {live_endpoints.begin(), live_endpoints.end()});
  });
}

} // namespace berth::network
