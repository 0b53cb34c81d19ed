// The conformance kit for scheduler plugins: what the framework relies on.
//
//   #include <berth/sdk/testing/scheduler_conformance.hpp>
//   extern "C" const berth_plugin_descriptor *berth_plugin(void);
//   using berth::sdk::testing::SchedulerPluginConformance;
//   INSTANTIATE_TEST_SUITE_P(MyPlugin, SchedulerPluginConformance,
//                            ::testing::Values(&berth_plugin));
//
// Each case creates the plugin from its defaults and checks one promise:
// filter reasons are short single lines, normalized scores stay in
// 0..kMaxNodeScore, Filter and Score give the same answers when called from
// several threads at once, and Reserve/Unreserve are safe to pair.
#pragma once

#include <berth/sdk/scheduler.hpp>
#include <berth/sdk/testing/plugin_conformance.hpp>

#include <array>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

namespace berth::sdk::testing {

// A plugin instance made through its descriptor, as berth makes it.
class SchedulerUnderTest {
public:
  explicit SchedulerUnderTest(EntryPoint entry) : descriptor_(entry()) {
    void *instance = nullptr;
    std::array<char, 512> message{};
    const auto options = default_options(*descriptor_).dump();
    created_ = descriptor_->create(&host_, options.c_str(), &instance, message.data(),
                                   message.size()) == BERTH_OK;
    message_ = message.data();
    plugin_ = static_cast<SchedulerPlugin *>(instance);
  }
  ~SchedulerUnderTest() {
    if (plugin_ != nullptr) {
      descriptor_->destroy(plugin_);
    }
  }
  SchedulerUnderTest(const SchedulerUnderTest &) = delete;
  SchedulerUnderTest &operator=(const SchedulerUnderTest &) = delete;
  SchedulerUnderTest(SchedulerUnderTest &&) = delete;
  SchedulerUnderTest &operator=(SchedulerUnderTest &&) = delete;

  [[nodiscard]] bool created() const { return created_ && plugin_ != nullptr; }
  [[nodiscard]] const std::string &message() const { return message_; }
  SchedulerPlugin &operator*() { return *plugin_; }
  SchedulerPlugin *operator->() { return plugin_; }
  [[nodiscard]] bool has(ExtensionPoint point) const {
    return (plugin_->extension_points() & point) != 0U;
  }

private:
  const berth_plugin_descriptor *descriptor_;
  TestHost host_;
  SchedulerPlugin *plugin_ = nullptr;
  bool created_ = false;
  std::string message_;
};

// A small, varied cluster: different sizes, loads, labels, taints and placed
// pods (some carrying anti-affinity), so that stateful plugins have
// something to count. placed owns the pods the nodes point to.
inline std::vector<NodeInfo> conformance_nodes(std::deque<PodSpec> &placed) {
  std::vector<NodeInfo> nodes;
  for (int i = 0; i < 24; ++i) {
    NodeInfo node;
    node.name = "node-" + std::to_string(i);
    node.capacity = {4000 + 1000 * (i % 4), (8LL << 30) * (1 + i % 3), 20 + i % 5, {}};
    node.allocated = {250 * (i % 7), (1LL << 29) * (i % 5), i % 6, {}};
    node.labels = {{"zone", "zone-" + std::to_string(i % 3)},
                   {"kubernetes.io/hostname", node.name}};
    if (i % 2 == 0) {
      node.labels["disk"] = "ssd";
    }
    if (i % 5 == 0) {
      node.taints.push_back({"dedicated", "gpu", i % 10 == 0 ? "NoSchedule" : "PreferNoSchedule"});
    }
    for (int k = 0; k < i % 3; ++k) {
      auto &pod = placed.emplace_back();
      pod.name = node.name + "-pod-" + std::to_string(k);
      pod.labels = {{"app", k == 0 ? "conformance" : "other"}};
      pod.requests = {100, 1LL << 28, 0, {}};
      if (i % 4 == 0) {
        pod.anti_affinity.preferred = {{20, {{{{"app", "conformance"}}, {}}, "zone"}}};
      }
      node.pods.push_back(&pod);
      if (!pod.anti_affinity.preferred.empty()) {
        node.pods_with_anti_affinity.push_back(&pod);
      }
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

inline PodSpec conformance_pod() {
  PodSpec pod;
  pod.name = "conformance";
  pod.requests = {500, 1LL << 30, 0, {}};
  pod.labels = {{"app", "conformance"}};
  pod.node_affinity.preferred = {{10, {{{"disk", "In", {"ssd"}}}}}};
  pod.topology_spread = {{1, "zone", "ScheduleAnyway", {{{"app", "conformance"}}, {}}}};
  pod.anti_affinity.preferred = {{5, {{{{"app", "conformance"}}, {}}, "kubernetes.io/hostname"}}};
  // Required terms too, so that filters with per-cycle state reject some
  // nodes: no two "conformance" pods on one node, at most 2 apart per zone.
  pod.anti_affinity.required = {{{{{"app", "conformance"}}, {}}, "kubernetes.io/hostname"}};
  pod.topology_spread.push_back({2, "zone", "DoNotSchedule", {{{"app", "conformance"}}, {}}});
  return pod;
}

class SchedulerPluginConformance : public ::testing::TestWithParam<EntryPoint> {
protected:
  void SetUp() override {
    plugin_ = std::make_unique<SchedulerUnderTest>(GetParam());
    if (!plugin_->created()) {
      GTEST_SKIP() << "cannot create from defaults: " << plugin_->message();
    }
    nodes_ = conformance_nodes(placed_);
    pod_ = conformance_pod();
  }

  // Runs PreFilter then Filter on every node; the indices that fit.
  std::vector<std::size_t> feasible() {
    if (plugin_->has(kPreFilter)) {
      EXPECT_TRUE((*plugin_)->pre_filter(pod_, nodes_).ok());
    }
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!plugin_->has(kFilter) || (*plugin_)->filter(pod_, nodes_[i]).fits()) {
        out.push_back(i);
      }
    }
    return out;
  }

  std::unique_ptr<SchedulerUnderTest> plugin_;
  std::deque<PodSpec> placed_;
  std::vector<NodeInfo> nodes_;
  PodSpec pod_;
};

TEST_P(SchedulerPluginConformance, DeclaresOnlyKnownExtensionPoints) {
  const std::uint32_t known = kPreFilter | kFilter | kPreScore | kScore | kNormalize | kReserve;
  const auto points = (*plugin_)->extension_points();
  EXPECT_NE(points, 0U) << "a plugin that joins no extension point does nothing";
  EXPECT_EQ(points & ~known, 0U);
  EXPECT_TRUE((points & (kFilter | kScore)) != 0U) << "a plugin must filter or score";
}

TEST_P(SchedulerPluginConformance, FilterReasonsAreShortSingleLines) {
  if (!plugin_->has(kFilter)) {
    GTEST_SKIP() << "not a filter";
  }
  auto pod = pod_;
  pod.requests.cpu_millis = 1'000'000; // fits nowhere, for resource filters
  pod.node_selector = {{"disk", "nvme"}};
  if (plugin_->has(kPreFilter)) {
    auto ready = (*plugin_)->pre_filter(pod, nodes_);
    if (!ready.ok()) {
      EXPECT_EQ(ready.error().message.find('\n'), std::string::npos);
      return;
    }
  }
  for (const auto &node : nodes_) {
    const auto status = (*plugin_)->filter(pod, node);
    EXPECT_EQ(status.reason.find('\n'), std::string::npos) << status.reason;
    EXPECT_LE(status.reason.size(), 64U)
        << "reasons are counted; keep them short: " << status.reason;
  }
}

TEST_P(SchedulerPluginConformance, NormalizedScoresStayInRange) {
  if (!plugin_->has(kScore)) {
    GTEST_SKIP() << "not a score plugin";
  }
  const auto fit = feasible();
  std::vector<const NodeInfo *> candidates;
  for (const auto index : fit) {
    candidates.push_back(&nodes_[index]);
  }
  if (plugin_->has(kPreScore)) {
    (*plugin_)->pre_score(pod_, candidates);
  }
  std::vector<NodeScore> scores;
  for (const auto index : fit) {
    scores.push_back({index, (*plugin_)->score(pod_, nodes_[index])});
  }
  if (plugin_->has(kNormalize)) {
    (*plugin_)->normalize(pod_, scores);
  }
  for (const auto &score : scores) {
    EXPECT_GE(score.score, 0) << nodes_[score.node].name;
    EXPECT_LE(score.score, kMaxNodeScore) << nodes_[score.node].name;
  }
}

TEST_P(SchedulerPluginConformance, FilterAndScoreAgreeAcrossThreads) {
  const auto fit = feasible(); // runs PreFilter: the per-cycle state is now fixed
  std::vector<std::int64_t> serial(nodes_.size(), 0);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    serial[i] = plugin_->has(kScore) ? (*plugin_)->score(pod_, nodes_[i]) : 0;
  }
  std::vector<std::vector<std::int64_t>> seen(4, std::vector<std::int64_t>(nodes_.size()));
  std::vector<std::vector<bool>> fits(4, std::vector<bool>(nodes_.size()));
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
          fits[t][i] = !plugin_->has(kFilter) || (*plugin_)->filter(pod_, nodes_[i]).fits();
          seen[t][i] = plugin_->has(kScore) ? (*plugin_)->score(pod_, nodes_[i]) : 0;
        }
      }
    });
  }
  for (auto &thread : threads) {
    thread.join();
  }
  for (std::size_t t = 0; t < seen.size(); ++t) {
    EXPECT_EQ(seen[t], serial) << "score differs on thread " << t;
    std::vector<std::size_t> fit_here;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (fits[t][i]) {
        fit_here.push_back(i);
      }
    }
    EXPECT_EQ(fit_here, fit) << "filter differs on thread " << t;
  }
}

TEST_P(SchedulerPluginConformance, ReserveAndUnreservePair) {
  if (!plugin_->has(kReserve)) {
    GTEST_SKIP() << "no Reserve extension point";
  }
  const auto before = feasible();
  ASSERT_TRUE((*plugin_)->reserve(pod_, nodes_.front()).ok());
  (*plugin_)->unreserve(pod_, nodes_.front());
  EXPECT_EQ(feasible(), before) << "reserve then unreserve must leave no trace";
}

} // namespace berth::sdk::testing
