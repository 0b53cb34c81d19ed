// Every in-tree storage driver runs the SDK's conformance kit, loaded from its
// real shared library the way berth loads it.
#include <berth/sdk/testing/storage_conformance.hpp>

namespace berth::sdk::testing {
namespace {

std::vector<EntryPoint> in_tree_storage_drivers() {
  return plugins_of_kind(BERTH_PLUGIN_DIR, BERTH_KIND_STORAGE);
}

TEST(StorageConformance, EveryInTreeStorageDriverIsCovered) {
  EXPECT_EQ(in_tree_storage_drivers().size(), 2U);
}

INSTANTIATE_TEST_SUITE_P(InTree, StorageDriverConformance,
                         ::testing::ValuesIn(in_tree_storage_drivers()), PluginName());

} // namespace
} // namespace berth::sdk::testing
