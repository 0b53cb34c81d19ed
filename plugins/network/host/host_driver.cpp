#include "host/host_driver.hpp"

#include <exception>

namespace berth::network {

sdk::Result<sdk::Network> HostDriver::create_network(const sdk::Network &network) noexcept {
  try {
    return network;
  } catch (const std::exception &e) { // copying may throw bad_alloc
    return sdk::make_error(sdk::Errc::internal, e.what(), network.name);
  }
}

sdk::Result<void> HostDriver::delete_network(const sdk::Network & /*network*/) noexcept {
  return {};
}

sdk::Result<sdk::Endpoint> HostDriver::create_endpoint(const sdk::Network &network,
                                                       const sdk::Endpoint &endpoint) noexcept {
  try {
    return endpoint;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), network.name);
  }
}

sdk::Result<void> HostDriver::delete_endpoint(const sdk::Network & /*network*/,
                                              const sdk::Endpoint & /*endpoint*/) noexcept {
  return {};
}

// The container sees the host's interfaces as they are; reporting them
// would be a snapshot that goes stale, so the result is empty.
sdk::Result<sdk::AttachResult> HostDriver::attach(const sdk::Network & /*network*/,
                                                  const sdk::AttachRequest & /*request*/) noexcept {
  return sdk::AttachResult{};
}

sdk::Result<void> HostDriver::detach(const sdk::Network & /*network*/,
                                     const sdk::AttachRequest & /*request*/,
                                     const sdk::AttachResult & /*attached*/) noexcept {
  return {};
}

sdk::NetworkCapabilities HostDriver::capabilities() const noexcept {
  return {.needs_netns = false, .supports_ports = false, .provides_address = false};
}

sdk::Result<void> HostDriver::gc(const sdk::Network & /*network*/,
                                 const std::vector<std::string> & /*live_endpoints*/) noexcept {
  return {};
}

} // namespace berth::network
