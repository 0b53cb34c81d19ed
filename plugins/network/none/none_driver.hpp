// none: the container gets its own network namespace with loopback only.
// There is nothing to create or remove outside the namespace, so every call
// but attach succeeds doing nothing, and attach only brings `lo` up.
#pragma once

#include "common/stateless_driver.hpp"

namespace berth::network {

class NoneDriver final : public StatelessDriver {
public:
  sdk::Result<sdk::AttachResult> attach(const sdk::Network &network,
                                        const sdk::AttachRequest &request) noexcept override;
  [[nodiscard]] sdk::NetworkCapabilities capabilities() const noexcept override;
};

} // namespace berth::network
