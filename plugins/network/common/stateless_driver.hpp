// The base of a driver with nothing of its own outside the container's
// namespace (host, none): networks and endpoints are the core's records
// alone, so creating, deleting, detaching and collecting succeed doing
// nothing. A driver says what attach does and what it can.
//
// Header-only, so that a driver needing nothing else from common/ links
// neither libmnl nor libnftables.
#pragma once

#include <berth/sdk/network.hpp>

#include <exception>

namespace berth::network {

class StatelessDriver : public sdk::NetworkDriver {
public:
  sdk::Result<sdk::Network> create_network(const sdk::Network &network) noexcept override {
    try {
      return network;
    } catch (const std::exception &e) { // copying may throw bad_alloc
      return sdk::make_error(sdk::Errc::internal, e.what(), network.name);
    }
  }
  sdk::Result<void> delete_network(const sdk::Network & /*network*/) noexcept override {
    return {};
  }
  sdk::Result<sdk::Endpoint> create_endpoint(const sdk::Network &network,
                                             const sdk::Endpoint &endpoint) noexcept override {
    try {
      return endpoint;
    } catch (const std::exception &e) {
      return sdk::make_error(sdk::Errc::internal, e.what(), network.name);
    }
  }
  sdk::Result<void> delete_endpoint(const sdk::Network & /*network*/,
                                    const sdk::Endpoint & /*endpoint*/) noexcept override {
    return {};
  }
  // What attach did dies with the namespace, or never was.
  sdk::Result<void> detach(const sdk::Network & /*network*/, const sdk::AttachRequest & /*request*/,
                           const sdk::AttachResult & /*attached*/) noexcept override {
    return {};
  }
  sdk::Result<void> gc(const sdk::Network & /*network*/,
                       const std::vector<std::string> & /*live_endpoints*/) noexcept override {
    return {};
  }
};

} // namespace berth::network
