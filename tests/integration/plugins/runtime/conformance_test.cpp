// Every in-tree isolation backend runs the SDK's conformance kit, loaded from
// its real shared library the way berth loads it.
#include <berth/sdk/testing/runtime_conformance.hpp>

#include <set>

namespace berth::sdk::testing {
namespace {

std::vector<IsolationBackendParam> in_tree_runtime_backends() {
  std::vector<IsolationBackendParam> backends;
  for (const auto entry : plugins_of_kind(BERTH_PLUGIN_DIR, BERTH_KIND_RUNTIME)) {
    const std::string name = entry()->name;
    // oci drives runc here: Debian's crun 1.8.1 refuses containers on a
    // cgroup-v1 hybrid host that has no hugetlb hierarchy mounted.
    backends.emplace_back(entry, name == "oci" ? nlohmann::json{{"binary", "runc"}}
                                               : nlohmann::json::object());
  }
  return backends;
}

TEST(RuntimeConformance, EveryInTreeRuntimeBackendIsCovered) {
  std::set<std::string> names;
  for (const auto &backend : in_tree_runtime_backends()) {
    names.insert(backend.name());
  }
  EXPECT_EQ(names, (std::set<std::string>{"namespaces", "oci"}));
}

// While a backend is still unbuilt the list can be empty; the test above
// says which one is missing.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(IsolationBackendConformance);
INSTANTIATE_TEST_SUITE_P(InTree, IsolationBackendConformance,
                         ::testing::ValuesIn(in_tree_runtime_backends()), BackendLabel());

} // namespace
} // namespace berth::sdk::testing
