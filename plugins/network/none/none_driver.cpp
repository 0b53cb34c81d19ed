#include "none/none_driver.hpp"

#include "common/netlink.hpp"

#include <exception>

namespace berth::network {

sdk::Result<sdk::AttachResult> NoneDriver::attach(const sdk::Network &network,
                                                  const sdk::AttachRequest &request) noexcept {
  try {
    if (request.netns_path.empty()) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "the none driver needs the container's network namespace, got none",
                             network.name);
    }
    auto netlink = Netlink::open_in(request.netns_path);
    if (!netlink.ok()) {
      return std::move(netlink).error();
    }
    if (auto up = netlink->run(rtnl::link_up(kLoopbackIndex, "lo")); !up.ok()) {
      return std::move(up).error();
    }
    sdk::AttachResult result;
    result.interfaces.push_back({"lo", "", {"127.0.0.1/8"}});
    return result;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), network.name);
  }
}

sdk::NetworkCapabilities NoneDriver::capabilities() const noexcept {
  return {.needs_netns = true, .supports_ports = false, .provides_address = false};
}

} // namespace berth::network
