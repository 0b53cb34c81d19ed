// host: the container shares the host's network namespace (the core makes
// no namespace for it: needs_netns is false). There is nothing to set up or
// tear down, so every call succeeds doing nothing.
#pragma once

#include <berth/sdk/network.hpp>

namespace berth::network {

class HostDriver final : public sdk::NetworkDriver {
public:
  sdk::Result<sdk::Network> create_network(const sdk::Network &network) noexcept override;
  sdk::Result<void> delete_network(const sdk::Network &network) noexcept override;
  sdk::Result<sdk::Endpoint> create_endpoint(const sdk::Network &network,
                                             const sdk::Endpoint &endpoint) noexcept override;
  sdk::Result<void> delete_endpoint(const sdk::Network &network,
                                    const sdk::Endpoint &endpoint) noexcept override;
  sdk::Result<sdk::AttachResult> attach(const sdk::Network &network,
                                        const sdk::AttachRequest &request) noexcept override;
  sdk::Result<void> detach(const sdk::Network &network, const sdk::AttachRequest &request,
                           const sdk::AttachResult &attached) noexcept override;
  [[nodiscard]] sdk::NetworkCapabilities capabilities() const noexcept override;
  sdk::Result<void> gc(const sdk::Network &network,
                       const std::vector<std::string> &live_endpoints) noexcept override;
};

} // namespace berth::network
