// bridge: each network is a Linux bridge with the gateway address on it;
// each endpoint a veth pair whose peer is born inside the container's
// namespace. Egress is masqueraded and published ports are DNAT map
// elements in the shared `ip berth` nftables table (see bridge_rules.hpp),
// so no proxy process runs per port and `curl 127.0.0.1:PORT` on the host
// works too.
//
// The driver keeps nothing between calls: the network record (its options,
// subnet, gateway and driver_state {"bridge", "owned"}) and the attach
// result {"host_ifname"} are enough to repair, undo or collect everything.
#pragma once

#include "bridge/bridge_config.hpp"
#include "bridge/bridge_rules.hpp"
#include "common/netlink.hpp"
#include "common/nft.hpp"

#include <berth/sdk/host.hpp>
#include <berth/sdk/network.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace berth::network {

class BridgeDriver final : public sdk::NetworkDriver {
public:
  // options: the schema's keys (see plugin.cpp), the defaults every
  // network's own options override.
  static sdk::Result<std::unique_ptr<BridgeDriver>> create(sdk::HostServices &host,
                                                           const nlohmann::json &options);
  BridgeDriver(sdk::HostServices &host, nlohmann::json defaults);

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

private:
  // The plan of a network that create_network has returned (subnet and
  // gateway filled in).
  sdk::Result<BridgePlan> plan_of(const sdk::Network &network);

  // bridge_network.cpp: what a network needs outside any container.
  sdk::Result<sdk::Network> make_network(const sdk::Network &network);
  sdk::Result<void> remove_network(const sdk::Network &network);
  // The bridge, its address, the sysctls and the rules; repeatable.
  // created: whether this call made the bridge.
  sdk::Result<void> set_up(const BridgePlan &plan, bool &created);
  sdk::Result<bool> ensure_bridge(Netlink &netlink, const BridgePlan &plan);
  sdk::Result<void> check_not_taken(const BridgePlan &plan);
  // For endpoints whose ids are not in live: deletes their veths on the
  // bridge and their published ports, then gives their addresses back.
  sdk::Result<void> collect(const BridgePlan &plan, const sdk::Network &network,
                            const std::set<std::string> &live);
  sdk::Result<void> collect_links(const BridgePlan &plan, const std::set<std::string> &live);
  sdk::Result<void> collect_ports(const BridgePlan &plan, const std::set<std::string> &addresses);

  // bridge_attach.cpp: one endpoint in one container.
  sdk::Result<sdk::AttachResult> plug(const sdk::Network &network,
                                      const sdk::AttachRequest &request);
  sdk::Result<void> unplug(const sdk::Network &network, const sdk::AttachRequest &request,
                           const sdk::AttachResult &attached);
  sdk::Result<void> create_veth(Netlink &host, const VethSpec &spec, const std::string &netns,
                                const std::string &context);
  // Address, loopback and default route inside the namespace; the routes
  // it installed.
  sdk::Result<std::vector<sdk::RouteInfo>> configure_inside(const BridgePlan &plan,
                                                            const sdk::AttachRequest &request,
                                                            int netns_fd, sdk::Ipv4 address);
  // Adds port elements, replacing leftovers with the same host port.
  sdk::Result<void> publish(const std::vector<PortElement> &ports, const std::string &context);
  // Deletes port elements, tolerating ones that are gone or taken over.
  sdk::Result<void> remove_ports(const std::vector<PortElement> &elements,
                                 const std::string &context);

  sdk::HostServices &host_;
  nlohmann::json defaults_;
  Nft nft_;
};

} // namespace berth::network
