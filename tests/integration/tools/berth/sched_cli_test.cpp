// `berth sched simulate` as a user runs it.
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth {
namespace {

using testing::run_berth;

const std::string kTinyWorkload = R"(apiVersion: berth/v1
kind: Workload
nodes:
  - { name: n, count: 2, capacity: { cpu: "1", memory: 4Gi, pods: 3 } }
pods:
  - { name: p, count: 10, requests: { cpu: 100m, memory: 128Mi }, labels: { app: p } }
)";

TEST(SchedCli, SimulatesTheDefaultProfileAndReportsJson) {
  auto result =
      run_berth({"sched", "simulate", "--nodes", "300", "--pods", "3000", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["profile"], "default");
  EXPECT_EQ(report["nodes"], 300);
  EXPECT_EQ(report["placed"], 3000);
  EXPECT_EQ(report["unschedulable"], 0);
  EXPECT_GT(report["placementsPerSecond"].get<double>(), 0);
  EXPECT_GT(report["latencyMicroseconds"]["p99"].get<double>(), 0);
  EXPECT_EQ(report["utilisation"]["cpu"]["allocated"], 3000 * 500);
  EXPECT_EQ(report["fragmentation"]["nodesThatFitIt"], 300);
  EXPECT_GT(report["peakRssBytes"].get<std::uint64_t>(), 0U);
}

TEST(SchedCli, CountsUnschedulablePodsByReason) {
  testing::TempDir dir;
  const auto workload = dir.write("tiny.yaml", kTinyWorkload);
  auto result = run_berth(
      {"sched", "simulate", "--workload", workload.string(), "--format", "json", "--placements"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["placed"], 6);
  EXPECT_EQ(report["unschedulable"], 4);
  EXPECT_EQ(report["unschedulableByReason"], (nlohmann::json{{"too many pods", 4}}));
  EXPECT_EQ(report["exampleUnschedulable"], "p-6: 0/2 nodes available: 2 too many pods");
  EXPECT_EQ(report["podsPerNode"], (nlohmann::json{{"n-0", 3}, {"n-1", 3}}));
  auto table = run_berth({"sched", "simulate", "--workload", workload.string()});
  EXPECT_NE(table.out.find("4 pods: too many pods"), std::string::npos) << table.out;
}

TEST(SchedCli, MistakesAreOneLineWithPositionsOrNames) {
  testing::TempDir dir;
  const auto bad = dir.write("bad.yaml", "apiVersion: berth/v1\nkind: Workload\nnodes: 3\n"
                                         "pods: []\n");
  auto workload = run_berth({"sched", "simulate", "--workload", bad.string()});
  EXPECT_EQ(workload.exit_code, 1);
  EXPECT_EQ(workload.err.substr(0, bad.string().size() + 5), bad.string() + ":3:8:");
  auto profile = run_berth({"sched", "simulate", "--profile", "defualt"});
  EXPECT_EQ(profile.exit_code, 1);
  EXPECT_EQ(profile.err,
            "berth sched simulate: no scheduler profile named 'defualt' in " BERTH_SOURCE_DIR
            "/examples/stacks/default.yaml (have: default, constrained); did you "
            "mean 'default'?\n");
  const auto empty =
      dir.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\nscheduler: null\n");
  auto missing = run_berth({"--stack", empty.string(), "sched", "simulate"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, empty.string() +
                             ": the stack has no 'scheduler' section; add one (see docs/stack.md "
                             "and examples/stacks/) or pass --stack FILE\n");
  auto zero = run_berth({"sched", "simulate", "--nodes", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.err, "berth: --nodes must be at least 1\n");
}

TEST(SchedCli, ProfilesWithUnknownPluginsOrBadWeightsArePositioned) {
  testing::TempDir dir;
  const auto stack = dir.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\nscheduler:\n"
                                             "  profiles:\n"
                                             "    - name: default\n"
                                             "      filters: [resources-fitt]\n"
                                             "      scores: [{ plugin: spread, weight: 500 }]\n");
  auto result = run_berth({"config", "validate", stack.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            stack.string() +
                ":7:42: scheduler.profiles[0].scores[0].weight: weight must be between 1 and "
                "100, got 500\n");
  const auto fixed_weight = dir.write("stack2.yaml", "apiVersion: berth/v1\nkind: Stack\n"
                                                     "scheduler:\n  profiles:\n"
                                                     "    - name: default\n"
                                                     "      filters: [resources-fitt]\n");
  result = run_berth({"config", "validate", fixed_weight.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(":6:17: scheduler.profiles[0].filters[0]: no scheduler plugin named "
                            "'resources-fitt' ("),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("did you mean 'resources-fit'?"), std::string::npos);
}

TEST(SchedCli, SameSeedSamePlacements) {
  testing::TempDir dir;
  const auto workload = dir.write("w.yaml", R"(apiVersion: berth/v1
kind: Workload
arrival: random
nodes:
  - { name: n, count: 40, capacity: { cpu: "4", memory: 16Gi, pods: 20 } }
pods:
  - { name: a, count: 100, requests: { cpu: 100m, memory: 1Gi } }
  - { name: b, count: 50, requests: { cpu: "1", memory: 2Gi } }
)");
  auto run = [&](const char *seed) {
    auto result = run_berth({"sched", "simulate", "--workload", workload.string(), "--seed", seed,
                             "--format", "json", "--placements"});
    return nlohmann::json::parse(result.out)["podsPerNode"];
  };
  EXPECT_EQ(run("9"), run("9"));
  EXPECT_NE(run("9"), run("10"));
}

} // namespace
} // namespace berth

namespace berth {
namespace {

TEST(SchedCli, ValidateCatchesPluginsInTheWrongRoleAndRefusedOptions) {
  testing::TempDir dir;
  const auto role = dir.write("role.yaml", "apiVersion: berth/v1\nkind: Stack\nscheduler:\n"
                                           "  profiles:\n    - { name: p, filters: [binpack] }\n");
  auto result = testing::run_berth({"config", "validate", role.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, role.string() + ":5:28: scheduler.profiles[0].filters[0]: 'binpack' is "
                                        "not a filter plugin; list it under scores instead\n");
  const auto refused =
      dir.write("refused.yaml", "apiVersion: berth/v1\nkind: Stack\nscheduler:\n  profiles:\n"
                                "    - name: p\n      scores: [{ plugin: spread }]\n"
                                "      args: { spread: { cpu_weight: 0, memory_weight: 0 } }\n");
  result = testing::run_berth({"config", "validate", refused.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(":6:26: scheduler.profiles[0].scores[0].plugin: "), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("create failed: cpu_weight, memory_weight: weights must be 0 to 100 "
                            "and not both 0"),
            std::string::npos)
      << result.err;
}

} // namespace
} // namespace berth
