// Every in-tree network driver runs the SDK's conformance kit, loaded from its
// real shared library the way berth loads it, over the engine's own host
// services: its SQLite IPAM and key-value store in a fresh state root.
#include <berth/sdk/testing/network_conformance.hpp>

#include "plugin/host_services.hpp"
#include "support/temp_dir.hpp"

#include <set>

namespace berth::sdk::testing {
namespace {

// What berth gives a plugin, over a state root of its own that goes with it.
struct CoreHost {
  explicit CoreHost(const std::string &plugin) : services(plugin, root.path()) {}

  ::berth::testing::TempDir root{"berth-network-kit-root"};
  ::berth::CoreHostServices services;
};

std::vector<NetworkDriverParam> in_tree_network_drivers() {
  std::vector<NetworkDriverParam> drivers;
  for (const auto entry : plugins_of_kind(BERTH_PLUGIN_DIR, BERTH_KIND_NETWORK)) {
    const std::string name = entry()->name;
    // Every option at its default: bridge names its bridge after the network.
    drivers.emplace_back(entry, nlohmann::json::object(), std::string{},
                         [name]() -> std::shared_ptr<HostServices> {
                           auto host = std::make_shared<CoreHost>(name);
                           return {host, &host->services};
                         });
  }
  return drivers;
}

TEST(NetworkConformance, EveryInTreeNetworkDriverIsCovered) {
  std::set<std::string> names;
  for (const auto &driver : in_tree_network_drivers()) {
    names.insert(driver.name());
  }
  EXPECT_EQ(names, (std::set<std::string>{"bridge", "host", "none"}));
}

// While a driver is still unbuilt the list can be empty; the test above says
// which one is missing.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(NetworkDriverConformance);
INSTANTIATE_TEST_SUITE_P(InTree, NetworkDriverConformance,
                         ::testing::ValuesIn(in_tree_network_drivers()), NetworkDriverLabel());

} // namespace
} // namespace berth::sdk::testing
