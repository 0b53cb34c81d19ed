#include "host/host_driver.hpp"

namespace berth::network {

// The container sees the host's interfaces as they are; reporting them
// would be a snapshot that goes stale, so the result is empty.
sdk::Result<sdk::AttachResult> HostDriver::attach(const sdk::Network & /*network*/,
                                                  const sdk::AttachRequest & /*request*/) noexcept {
  return sdk::AttachResult{};
}

sdk::NetworkCapabilities HostDriver::capabilities() const noexcept {
  return {.needs_netns = false, .supports_ports = false, .provides_address = false};
}

} // namespace berth::network
