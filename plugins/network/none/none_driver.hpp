// none: the container gets its own network namespace with loopback only.
// There is nothing to create or remove outside the namespace, so every call
// but attach succeeds doing nothing, and attach only brings `lo` up.
#pragma once

#include <berth/sdk/network.hpp>

namespace berth::network {

class NoneDriver final : public sdk::NetworkDriver {
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
