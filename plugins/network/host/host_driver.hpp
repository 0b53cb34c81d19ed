// host: the container shares the host's network namespace (the core makes
// no namespace for it: needs_netns is false). There is nothing to set up or
// tear down, so every call succeeds doing nothing.
#pragma once

#include "common/stateless_driver.hpp"

namespace berth::network {

class HostDriver final : public StatelessDriver {
public:
  sdk::Result<sdk::AttachResult> attach(const sdk::Network &network,
                                        const sdk::AttachRequest &request) noexcept override;
  [[nodiscard]] sdk::NetworkCapabilities capabilities() const noexcept override;
};

} // namespace berth::network
