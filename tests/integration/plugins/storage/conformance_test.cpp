// Every in-tree storage driver runs the SDK's conformance kit, loaded from its
// real shared library the way berth loads it.
#include <berth/sdk/testing/storage_conformance.hpp>

#include <dlfcn.h>

#include <filesystem>

namespace berth::sdk::testing {
namespace {

std::vector<EntryPoint> in_tree_storage_drivers() {
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
    if (entry != nullptr && entry()->kind == BERTH_KIND_STORAGE) {
      entries.push_back(entry);
    }
  }
  return entries;
}

TEST(StorageConformance, EveryInTreeStorageDriverIsCovered) {
  EXPECT_EQ(in_tree_storage_drivers().size(), 2U);
}

INSTANTIATE_TEST_SUITE_P(InTree, StorageDriverConformance,
                         ::testing::ValuesIn(in_tree_storage_drivers()), PluginName());

} // namespace
} // namespace berth::sdk::testing
