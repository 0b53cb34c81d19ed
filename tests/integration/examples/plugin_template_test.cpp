// The out-of-tree path, for real: install the SDK, build
// examples/plugin-template against it with find_package(BerthSDK), run the
// template's own tests, and see the installed berth load the result.
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth {
namespace {

void run_ok(const std::vector<std::string> &argv) {
  auto result = testing::run_process(argv);
  ASSERT_EQ(result.exit_code, 0) << argv[0] << " " << argv[1] << "\n" << result.out << result.err;
}

TEST(PluginTemplate, BuildsAgainstTheInstalledSdkAndLoads) {
  testing::TempDir dir("berth-template");
  const auto prefix = dir.path() / "prefix";
  const auto build = dir.path() / "build";
  ASSERT_NO_FATAL_FAILURE(
      run_ok({BERTH_CMAKE, "--install", BERTH_BINARY_DIR, "--prefix", prefix.string()}));
  ASSERT_TRUE(std::filesystem::exists(prefix / "include/berth/sdk/plugin_abi.h"));
  ASSERT_NO_FATAL_FAILURE(
      run_ok({BERTH_CMAKE, "-S", BERTH_SOURCE_DIR "/examples/plugin-template", "-B", build.string(),
              "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + prefix.string()}));
  ASSERT_NO_FATAL_FAILURE(run_ok({BERTH_CMAKE, "--build", build.string()}));
  ASSERT_NO_FATAL_FAILURE(
      run_ok({BERTH_CTEST, "--test-dir", build.string(), "--output-on-failure"}));

  const auto stack =
      dir.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\n"
                              "plugins: { paths: [" +
                                  build.string() +
                                  "] }\n"
                                  "scheduler:\n  profiles:\n    - name: default\n"
                                  "      scores: [{ plugin: prefer-label }]\n"
                                  "      args: { prefer-label: { label: disk=ssd } }\n");
  auto listed = testing::run_process({(prefix / "bin/berth").string(), "--stack", stack.string(),
                                      "plugins", "ls", "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  bool loaded = false;
  for (const auto &entry : nlohmann::json::parse(listed.out)) {
    if (entry["name"] == "prefer-label") {
      EXPECT_EQ(entry["status"], "loaded") << entry.dump();
      EXPECT_EQ(entry["kind"], "scheduler");
      loaded = true;
    }
  }
  EXPECT_TRUE(loaded) << listed.out;

  // The plugin changes placements: with it, pods land on the labelled nodes.
  const auto workload = dir.write("workload.yaml", R"(apiVersion: berth/v1
kind: Workload
nodes:
  - { name: n, count: 4, capacity: { cpu: "8", memory: 32Gi, pods: 20 }, labels: { disk: [hdd, ssd] } }
pods:
  - { name: p, count: 8, requests: { cpu: 100m, memory: 128Mi } }
)");
  const auto with_plugin =
      dir.write("with.yaml", "apiVersion: berth/v1\nkind: Stack\n"
                             "plugins: { paths: [" +
                                 build.string() +
                                 "] }\n"
                                 "scheduler:\n  profiles:\n"
                                 "    - name: default\n"
                                 "      filters: [resources-fit]\n"
                                 "      scores:\n"
                                 "        - { plugin: spread, weight: 1 }\n"
                                 "        - { plugin: prefer-label, weight: 10 }\n"
                                 "      args: { prefer-label: { label: disk=ssd } }\n");
  const auto without = dir.write("without.yaml", "apiVersion: berth/v1\nkind: Stack\n"
                                                 "scheduler:\n  profiles:\n"
                                                 "    - name: default\n"
                                                 "      filters: [resources-fit]\n"
                                                 "      scores: [{ plugin: spread, weight: 1 }]\n");
  auto pods_on_ssd = [&](const std::filesystem::path &stack) {
    auto result = testing::run_process({(prefix / "bin/berth").string(), "--stack", stack.string(),
                                        "sched", "simulate", "--workload", workload.string(),
                                        "--format", "json", "--placements"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto per_node = nlohmann::json::parse(result.out)["podsPerNode"];
    return per_node["n-1"].get<int>() + per_node["n-3"].get<int>(); // odd nodes are ssd
  };
  EXPECT_EQ(pods_on_ssd(without), 4); // spread alone: two per node
  EXPECT_EQ(pods_on_ssd(with_plugin), 8);
}

} // namespace
} // namespace berth
