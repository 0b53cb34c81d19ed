// Every in-tree scheduler plugin runs the SDK's conformance kit, loaded from
// its real shared library the way berth loads it.
#include <berth/sdk/testing/scheduler_conformance.hpp>

#include <dlfcn.h>

#include <filesystem>

namespace berth::sdk::testing {
namespace {

// The entry points of the scheduler plugins in berth's plugin directory. The
// libraries stay open for the life of the test binary.
std::vector<EntryPoint> in_tree_schedulers() {
  std::vector<std::filesystem::path> files;
  for (const auto &entry : std::filesystem::directory_iterator(BERTH_PLUGIN_DIR)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<EntryPoint> entries;
  for (const auto &file : files) {
    void *library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      ADD_FAILURE() << dlerror();
      continue;
    }
    auto entry = reinterpret_cast<EntryPoint>(dlsym(library, "berth_plugin"));
    if (entry != nullptr && entry()->kind == BERTH_KIND_SCHEDULER) {
      entries.push_back(entry);
    }
  }
  return entries;
}

TEST(SchedulerConformance, EveryInTreeSchedulerPluginIsCovered) {
  EXPECT_EQ(in_tree_schedulers().size(), 7U);
}

INSTANTIATE_TEST_SUITE_P(InTree, SchedulerPluginConformance,
                         ::testing::ValuesIn(in_tree_schedulers()), PluginName());

} // namespace
} // namespace berth::sdk::testing
