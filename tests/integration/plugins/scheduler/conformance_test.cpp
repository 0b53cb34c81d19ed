// Every in-tree scheduler plugin runs the SDK's conformance kit, loaded from
// its real shared library the way berth loads it.
#include <berth/sdk/testing/scheduler_conformance.hpp>

namespace berth::sdk::testing {
namespace {

// The entry points of the scheduler plugins in berth's plugin directory. The
// libraries stay open for the life of the test binary.
std::vector<EntryPoint> in_tree_schedulers() {
  return plugins_of_kind(BERTH_PLUGIN_DIR, BERTH_KIND_SCHEDULER);
}

TEST(SchedulerConformance, EveryInTreeSchedulerPluginIsCovered) {
  EXPECT_EQ(in_tree_schedulers().size(), 7U);
}

INSTANTIATE_TEST_SUITE_P(InTree, SchedulerPluginConformance,
                         ::testing::ValuesIn(in_tree_schedulers()), PluginName());

} // namespace
} // namespace berth::sdk::testing
