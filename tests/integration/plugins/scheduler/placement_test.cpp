// Placements on small clusters, computed by hand, through the real framework
// and the real plugin libraries from the build tree.
#include "config/stack.hpp"
#include "plugin/registry.hpp"
#include "sched/scheduler.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

constexpr std::int64_t kGi = 1LL << 30;

class Placements : public ::testing::Test {
protected:
  void SetUp() override { registry_.load_directory(BERTH_PLUGIN_DIR); }

  // A profile from the YAML of one scheduler profile, validated like a stack.
  Profile profile(const std::string &yaml) {
    auto loaded = parse_stack("apiVersion: berth/v1\nkind: Stack\nscheduler:\n  profiles:\n"
                              "    - " +
                                  yaml + "\n",
                              "test.yaml", "/");
    EXPECT_TRUE(loaded.stack) << loaded.diagnostics.front().to_string();
    auto diagnostics = resolve_stack(*loaded.stack, registry_);
    EXPECT_TRUE(diagnostics.empty()) << diagnostics.front().to_string();
    auto built = build_profile(loaded.stack->scheduler->profiles.front(), "test.yaml", registry_,
                               root_.path());
    EXPECT_TRUE(built.ok()) << built.error().message;
    return std::move(built).value();
  }

  static sdk::NodeInfo node(const std::string &name, std::int64_t cpu_millis,
                            sdk::Labels labels = {}, std::vector<sdk::Taint> taints = {}) {
    sdk::NodeInfo n;
    n.name = name;
    n.capacity = {cpu_millis, 16 * kGi, 110, {}};
    n.labels = std::move(labels);
    n.labels["kubernetes.io/hostname"] = name;
    n.taints = std::move(taints);
    return n;
  }

  static sdk::PodSpec pod(const std::string &name, std::int64_t cpu_millis,
                          sdk::Labels labels = {}) {
    sdk::PodSpec p;
    p.name = name;
    p.requests = {cpu_millis, kGi, 0, {}};
    p.labels = std::move(labels);
    return p;
  }

  static std::vector<std::size_t> pods_per_node(const Cluster &cluster) {
    std::vector<std::size_t> counts;
    for (const auto &n : cluster.nodes()) {
      counts.push_back(n.pods.size());
    }
    return counts;
  }

  PluginRegistry registry_;
  testing::TempDir root_;
};

const char *kDefault = "{ name: default, filters: [resources-fit, node-affinity, taints], "
                       "scores: [{ plugin: spread }] }";

TEST_F(Placements, ImpossiblePodIsReportedWithEveryReason) {
  Cluster cluster({node("busy", 4000, {{"disk", "ssd"}}), node("plain", 4000),
                   node("tainted", 4000, {{"disk", "ssd"}}, {{"dedicated", "gpu", "NoSchedule"}})});
  cluster.place(pod("existing", 3000), 0);
  Scheduler scheduler(profile(kDefault), cluster, 1, 2);
  auto wanted = pod("db", 2000);
  wanted.node_selector = {{"disk", "ssd"}};
  auto placement = scheduler.schedule(wanted);
  EXPECT_FALSE(placement.node);
  EXPECT_EQ(placement.summary(cluster.size()),
            "0/3 nodes available: 1 insufficient cpu, 1 node selector mismatch, 1 taint not "
            "tolerated");
  wanted.tolerations = {{"dedicated", "Equal", "gpu", "NoSchedule"}};
  placement = scheduler.schedule(wanted);
  ASSERT_TRUE(placement.node);
  EXPECT_EQ(cluster.node(*placement.node).name, "tainted");
}

TEST_F(Placements, ResourcesFitCountsPodsAndExtendedResources) {
  auto gpu_node = node("gpu", 8000);
  gpu_node.capacity.extended["example.com/gpu"] = 1;
  Cluster cluster({node("a", 8000), gpu_node});
  Scheduler scheduler(profile(kDefault), cluster, 1, 1);
  auto training = pod("train", 1000);
  training.requests.extended["example.com/gpu"] = 1;
  EXPECT_EQ(scheduler.schedule(training).node, 1U);
  auto second = scheduler.schedule(training);
  EXPECT_FALSE(second.node);
  EXPECT_EQ(second.summary(2), "0/2 nodes available: 2 insufficient example.com/gpu");

  auto small = node("small", 8000);
  small.capacity.pods = 2;
  Cluster slots({small});
  Scheduler counting(profile(kDefault), slots, 1, 1);
  EXPECT_TRUE(counting.schedule(pod("one", 10)).node);
  EXPECT_TRUE(counting.schedule(pod("two", 10)).node);
  EXPECT_EQ(counting.schedule(pod("three", 10)).summary(1), "0/1 nodes available: 1 too many pods");
}

TEST_F(Placements, SpreadSpreadsPodsThatRequestNothing) {
  std::vector<sdk::NodeInfo> nodes;
  for (int i = 0; i < 10; ++i) {
    nodes.push_back(node("n" + std::to_string(i), 4000));
  }
  Cluster cluster(std::move(nodes));
  Scheduler scheduler(profile(kDefault), cluster, 3, 1);
  sdk::PodSpec empty;
  empty.name = "no-requests";
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(scheduler.schedule(empty).node);
  }
  // Scored as Kubernetes does, with 100m and 200Mi assumed: five per node.
  EXPECT_EQ(pods_per_node(cluster), std::vector<std::size_t>(10, 5));
}

TEST_F(Placements, BinpackFillsANodeBeforeOpeningTheNext) {
  Cluster cluster({node("a", 4000), node("b", 4000), node("c", 4000), node("d", 4000)});
  Scheduler scheduler(profile("{ name: pack, filters: [resources-fit], scores: [{ plugin: "
                              "binpack }] }"),
                      cluster, 7, 2);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(scheduler.schedule(pod("p" + std::to_string(i), 1000)).node);
    // At every step at most one node is partly used.
    const auto counts = pods_per_node(cluster);
    EXPECT_LE(std::count_if(counts.begin(), counts.end(), [](auto c) { return c % 4 != 0; }), 1);
  }
  auto counts = pods_per_node(cluster);
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<std::size_t>{0, 0, 4, 4}));
}

TEST_F(Placements, SpreadBalancesNodes) {
  Cluster cluster({node("a", 4000), node("b", 4000), node("c", 4000), node("d", 4000)});
  Scheduler scheduler(profile(kDefault), cluster, 7, 2);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(scheduler.schedule(pod("p" + std::to_string(i), 1000)).node);
  }
  EXPECT_EQ(pods_per_node(cluster), (std::vector<std::size_t>{2, 2, 2, 2}));
}

TEST_F(Placements, NodeAffinityRequiresAndPrefers) {
  Cluster cluster({node("a", 4000, {{"zone", "a"}}), node("b", 4000, {{"zone", "b"}}),
                   node("c", 4000, {{"zone", "c"}})});
  Scheduler scheduler(profile("{ name: p, filters: [node-affinity], scores: [{ plugin: "
                              "node-affinity }] }"),
                      cluster, 1, 1);
  auto required = pod("r", 100);
  required.node_affinity.required = {{{{"zone", "In", {"c", "d"}}}}};
  EXPECT_EQ(scheduler.schedule(required).node, 2U);
  auto preferred = pod("p", 100);
  preferred.node_affinity.preferred = {{10, {{{"zone", "In", {"a"}}}}},
                                       {50, {{{"zone", "NotIn", {"a", "c"}}}}}};
  EXPECT_EQ(scheduler.schedule(preferred).node, 1U); // b scores 50, a 10, c 0
  auto numeric = pod("n", 100);
  numeric.node_affinity.required = {{{{"zone", "Gt", {"1"}}}}}; // labels are not numbers
  EXPECT_EQ(scheduler.schedule(numeric).summary(3), "0/3 nodes available: 3 node affinity "
                                                    "mismatch");
}

TEST_F(Placements, TaintsFilterHardAndScoreSoftEffects) {
  Cluster cluster({node("soft", 4000, {}, {{"spot", "true", "PreferNoSchedule"}}),
                   node("clean", 4000), node("hard", 4000, {}, {{"spot", "true", "NoExecute"}})});
  Scheduler scheduler(profile("{ name: t, filters: [taints], scores: [{ plugin: taints }] }"),
                      cluster, 1, 1);
  EXPECT_EQ(scheduler.schedule(pod("a", 100)).node, 1U);
  // Only the hard-tainted node is left: a pod must tolerate it to land.
  Cluster hard_only({node("hard", 4000, {}, {{"spot", "true", "NoExecute"}})});
  Scheduler again(profile("{ name: t, filters: [taints], scores: [{ plugin: taints }] }"),
                  hard_only, 1, 1);
  EXPECT_EQ(again.schedule(pod("b", 100)).summary(1), "0/1 nodes available: 1 taint not "
                                                      "tolerated");
  auto wrong_value = pod("c", 100);
  wrong_value.tolerations = {{"spot", "Equal", "false", ""}};
  EXPECT_FALSE(again.schedule(wrong_value).node);
  auto tolerant = pod("d", 100);
  tolerant.tolerations = {{"spot", "Equal", "true", "NoExecute"}};
  EXPECT_EQ(again.schedule(tolerant).node, 0U);
}

TEST_F(Placements, TopologySpreadHoldsMaxSkewAtEveryStep) {
  Cluster cluster({node("a1", 8000, {{"zone", "a"}}), node("a2", 8000, {{"zone", "a"}}),
                   node("b1", 8000, {{"zone", "b"}}), node("c1", 8000, {{"zone", "c"}})});
  // binpack pulls towards one node; the constraint must win.
  Scheduler scheduler(profile("{ name: z, filters: [resources-fit, topology-spread], scores: "
                              "[{ plugin: binpack }] }"),
                      cluster, 3, 2);
  auto web = pod("web", 500, {{"app", "web"}});
  web.topology_spread = {{1, "zone", "DoNotSchedule", {{{"app", "web"}}, {}}}};
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(scheduler.schedule(web).node) << i;
    std::map<std::string, int> per_zone;
    for (const auto &n : cluster.nodes()) {
      per_zone[n.labels.at("zone")] += static_cast<int>(n.pods.size());
    }
    const auto [low, high] =
        std::minmax_element(per_zone.begin(), per_zone.end(),
                            [](const auto &x, const auto &y) { return x.second < y.second; });
    EXPECT_LE(high->second - low->second, 1) << "after pod " << i;
  }
  auto other = pod("other", 500, {{"app", "other"}});
  other.topology_spread = {{1, "rack", "DoNotSchedule", {{{"app", "other"}}, {}}}};
  EXPECT_EQ(scheduler.schedule(other).summary(4),
            "0/4 nodes available: 4 no node has topology label rack");
}

TEST_F(Placements, AntiAffinityKeepsPodsApartInBothDirections) {
  Cluster cluster({node("a", 8000), node("b", 8000), node("c", 8000)});
  Scheduler scheduler(profile("{ name: aa, filters: [resources-fit, anti-affinity], scores: "
                              "[{ plugin: binpack }, { plugin: anti-affinity }] }"),
                      cluster, 5, 1);
  auto db = pod("db", 500, {{"app", "db"}});
  db.anti_affinity.required = {{{{{"app", "db"}}, {}}, "kubernetes.io/hostname"}};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(scheduler.schedule(db).node);
  }
  EXPECT_EQ(pods_per_node(cluster), (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(scheduler.schedule(db).summary(3), "0/3 nodes available: 3 anti-affinity rule "
                                               "violated");
  // Symmetry: a pod the placed dbs repel cannot join them either.
  auto cache = pod("cache", 500, {{"app", "db"}});
  EXPECT_EQ(scheduler.schedule(cache).summary(3), "0/3 nodes available: 3 anti-affinity rule "
                                                  "violated");
}

TEST_F(Placements, PreferredAntiAffinityAvoidsButDoesNotForbid) {
  Cluster cluster({node("a", 8000), node("b", 8000)});
  cluster.place(pod("web-0", 500, {{"app", "web"}}), 0);
  Scheduler scheduler(profile("{ name: aa, filters: [anti-affinity], scores: [{ plugin: "
                              "anti-affinity }] }"),
                      cluster, 1, 1);
  auto batch = pod("batch", 500);
  batch.anti_affinity.preferred = {{10, {{{{"app", "web"}}, {}}, "kubernetes.io/hostname"}}};
  EXPECT_EQ(scheduler.schedule(batch).node, 1U);

  // A preference never forbids: with only the web pod's node, it still lands.
  Cluster one({node("a", 8000)});
  one.place(pod("web-0", 500, {{"app", "web"}}), 0);
  Scheduler only(profile("{ name: aa, filters: [anti-affinity], scores: [{ plugin: "
                         "anti-affinity }] }"),
                 one, 1, 1);
  EXPECT_EQ(only.schedule(batch).node, 0U);
}

TEST_F(Placements, AntiAffinityOfPodsAlreadyInTheSnapshotIsHonoured) {
  // Pods placed before this scheduler existed (another profile, a restart)
  // still repel, and their preferred terms count too.
  Cluster cluster({node("a", 8000), node("b", 8000), node("c", 8000)});
  auto db = pod("db", 500, {{"app", "db"}});
  db.anti_affinity.required = {{{{{"app", "web"}}, {}}, "kubernetes.io/hostname"}};
  cluster.place(db, 0);
  auto cache = pod("cache", 500, {{"app", "cache"}});
  cache.anti_affinity.preferred = {{100, {{{{"app", "web"}}, {}}, "kubernetes.io/hostname"}}};
  cluster.place(cache, 1);
  Scheduler scheduler(profile("{ name: aa, filters: [anti-affinity], scores: [{ plugin: "
                              "anti-affinity }, { plugin: binpack }] }"),
                      cluster, 1, 1);
  EXPECT_EQ(scheduler.schedule(pod("web", 500, {{"app", "web"}})).node, 2U);
}

TEST_F(Placements, ScoreOnlyPluginsCannotMakeAPodUnschedulable) {
  Cluster cluster({node("a", 4000, {{"zone", "a"}}), node("b", 4000, {{"zone", "b"}})});
  Scheduler scheduler(profile("{ name: s, filters: [resources-fit], scores: [{ plugin: "
                              "topology-spread }] }"),
                      cluster, 1, 1);
  auto web = pod("web", 100, {{"app", "web"}});
  web.topology_spread = {{1, "rack", "DoNotSchedule", {{{"app", "web"}}, {}}}};
  EXPECT_TRUE(scheduler.schedule(web).node);
}

TEST_F(Placements, PlacementsDoNotDependOnThreadsWhenFilteringAndScoringRunInParallel) {
  // 1,200 nodes, every one scored: both the filter and the score phases run
  // on the pool. Varied allocations make scores differ, not just tie.
  auto run = [&](unsigned threads) {
    std::vector<sdk::NodeInfo> nodes;
    for (int i = 0; i < 1200; ++i) {
      auto n = node("n" + std::to_string(i), 8000 + 1000 * (i % 5));
      n.allocated.cpu_millis = 500 * (i % 7);
      n.non_zero_cpu_millis = n.allocated.cpu_millis;
      nodes.push_back(std::move(n));
    }
    Cluster cluster(std::move(nodes));
    Scheduler scheduler(profile("{ name: all, percentageOfNodesToScore: 100, filters: "
                                "[resources-fit, node-affinity, taints], scores: [{ plugin: "
                                "spread }] }"),
                        cluster, 11, threads);
    std::vector<std::size_t> chosen;
    for (int i = 0; i < 300; ++i) {
      chosen.push_back(*scheduler.schedule(pod("p", 700)).node);
    }
    return chosen;
  };
  const auto one = run(1);
  EXPECT_EQ(run(2), one);
  EXPECT_EQ(run(4), one);
}

TEST_F(Placements, TiesAreBrokenReproduciblyFromTheSeed) {
  auto run = [&](std::uint64_t seed) {
    std::vector<std::size_t> chosen;
    std::vector<sdk::NodeInfo> nodes;
    for (int i = 0; i < 200; ++i) {
      nodes.push_back(node("n" + std::to_string(i), 64000));
    }
    Cluster cluster(std::move(nodes));
    Scheduler scheduler(profile(kDefault), cluster, seed, 2);
    for (int i = 0; i < 50; ++i) {
      chosen.push_back(*scheduler.schedule(pod("p", 100)).node);
    }
    return chosen;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST_F(Placements, ProfileRolesMustMatchExtensionPoints) {
  auto loaded = parse_stack("apiVersion: berth/v1\nkind: Stack\nscheduler:\n  profiles:\n"
                            "    - { name: wrong, filters: [spread] }\n",
                            "test.yaml", "/");
  ASSERT_TRUE(resolve_stack(*loaded.stack, registry_).empty());
  auto built = build_profile(loaded.stack->scheduler->profiles.front(), "test.yaml", registry_,
                             root_.path());
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().message,
            "test.yaml:5:32: scheduler.profiles[0].filters[0]: 'spread' is not a filter plugin; "
            "list it under scores instead");
}

} // namespace
} // namespace berth
