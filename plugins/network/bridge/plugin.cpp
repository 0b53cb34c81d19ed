#include "bridge/bridge_driver.hpp"

namespace {

// Driver-wide defaults; a network's own options override each key.
constexpr berth_option_spec kOptions[] = {
    {"bridge", BERTH_OPTION_STRING, "\"\"", nullptr,
     "the Linux bridge's name (at most 15 characters); empty: br- and the network id's first "
     "12 hex digits"},
    {"mtu", BERTH_OPTION_INT, "1500", nullptr,
     "MTU of the bridge and of every container interface on it (68 to 65535)"},
    {"nat", BERTH_OPTION_BOOL, "true", nullptr,
     "masquerade traffic leaving the subnet, so containers reach the outside world"},
    {"isolate", BERTH_OPTION_BOOL, "true", nullptr,
     "drop traffic routed between this network and other berth bridge networks"},
    {"host_loopback", BERTH_OPTION_BOOL, "true", nullptr,
     "published ports also answer on the host's 127.0.0.1 (sets route_localnet on the bridge)"},
};

} // namespace

BERTH_PLUGIN(berth::network::BridgeDriver, "bridge", "1.0.0",
             "a Linux bridge per network: veth pairs, IPAM addresses, NAT and published ports "
             "through nftables",
             kOptions)
