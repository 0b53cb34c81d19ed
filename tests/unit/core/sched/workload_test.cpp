// Workload files and Kubernetes quantities, as the simulator reads them.
#include "sched/quantity.hpp"
#include "sched/workload.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Quantity, ReadsCpuAsKubernetesDoes) {
  EXPECT_EQ(parse_cpu_millis("500m"), 500);
  EXPECT_EQ(parse_cpu_millis("2"), 2000);
  EXPECT_EQ(parse_cpu_millis("0.25"), 250);
  EXPECT_EQ(parse_cpu_millis("1.5m"), std::nullopt);
  EXPECT_EQ(parse_cpu_millis("two"), std::nullopt);
  EXPECT_EQ(parse_cpu_millis("-1"), std::nullopt);
  EXPECT_EQ(parse_cpu_millis(""), std::nullopt);
}

TEST(Quantity, ReadsMemoryWithBinaryAndDecimalSuffixes) {
  EXPECT_EQ(parse_bytes("1Gi"), 1LL << 30);
  EXPECT_EQ(parse_bytes("512Mi"), 512LL << 20);
  EXPECT_EQ(parse_bytes("1.5Gi"), 3LL << 29);
  EXPECT_EQ(parse_bytes("1G"), 1000000000);
  EXPECT_EQ(parse_bytes("64k"), 64000);
  EXPECT_EQ(parse_bytes("110"), 110);
  EXPECT_EQ(parse_bytes("1.5"), std::nullopt);
  EXPECT_EQ(parse_bytes("Gi"), std::nullopt);
  EXPECT_EQ(parse_bytes("1Xi"), std::nullopt);
  EXPECT_EQ(parse_bytes("99999999999999999999"), std::nullopt); // would overflow
  EXPECT_EQ(parse_cpu_millis("99999999999999999999"), std::nullopt);
}

TEST(Workload, ParsesShapesWithConstraints) {
  auto loaded = parse_workload(R"(apiVersion: berth/v1
kind: Workload
arrival: sequential
nodes:
  - name: n
    count: 4
    capacity: { cpu: "8", memory: 32Gi, pods: 50, example.com/gpu: 2 }
    labels: { zone: [a, b], disk: ssd }
    taints: [{ key: dedicated, value: gpu, effect: PreferNoSchedule }]
pods:
  - name: p
    count: 3
    requests: { cpu: 250m, memory: 1Gi, example.com/gpu: 1 }
    labels: { app: web }
    nodeSelector: { disk: ssd }
    nodeAffinity:
      required: [{ matchExpressions: [{ key: zone, operator: In, values: [a] }] }]
      preferred: [{ weight: 5, matchExpressions: [{ key: disk, operator: Exists }] }]
    tolerations: [{ key: dedicated, operator: Exists }]
    topologySpread: [{ maxSkew: 2, topologyKey: zone, matchLabels: { app: web } }]
    antiAffinity:
      required: [{ topologyKey: kubernetes.io/hostname, matchLabels: { app: web } }]
)",
                               "w.yaml");
  ASSERT_TRUE(loaded.workload) << loaded.diagnostics.front().to_string();
  const auto &w = *loaded.workload;
  EXPECT_EQ(w.arrival, Arrival::sequential);
  EXPECT_EQ(w.node_count(), 4U);
  EXPECT_EQ(w.nodes[0].capacity.cpu_millis, 8000);
  EXPECT_EQ(w.nodes[0].capacity.extended.at("example.com/gpu"), 2);
  EXPECT_EQ(w.nodes[0].labels.at("zone"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(w.nodes[0].taints[0].effect, "PreferNoSchedule");
  const auto &pod = w.pods[0].spec;
  EXPECT_EQ(pod.requests.memory_bytes, 1LL << 30);
  EXPECT_EQ(pod.node_affinity.required[0].match_expressions[0].values,
            (std::vector<std::string>{"a"}));
  EXPECT_EQ(pod.node_affinity.preferred[0].weight, 5);
  EXPECT_EQ(pod.tolerations[0].op, "Exists");
  EXPECT_EQ(pod.topology_spread[0].max_skew, 2);
  EXPECT_EQ(pod.topology_spread[0].when_unsatisfiable, "DoNotSchedule");
  EXPECT_EQ(pod.anti_affinity.required[0].topology_key, "kubernetes.io/hostname");
}

TEST(Workload, MistakesArePositioned) {
  struct Case {
    const char *text;
    const char *expected;
  };
  const std::vector<Case> cases = {
      {"apiVersion: berth/v1\nkind: Workload\nnodes: []\npods: [{ name: p, count: 1 }]\n",
       "w.yaml:3:8: nodes: expected a list of at least one shape, got an empty list"},
      {"apiVersion: berth/v1\nkind: Workload\nnodes:\n  - { name: n, count: 1, capacity: { cpu: "
       "lots } }\npods: [{ name: p, count: 1 }]\n",
       "w.yaml:4:43: nodes[0].capacity.cpu: 'lots' is not a quantity (for example 500m or 2)"},
      {"apiVersion: berth/v1\nkind: Workload\narrival: lifo\nnodes: [{ name: n, count: 1, "
       "capacity: {} }]\npods: [{ name: p, count: 1 }]\n",
       "w.yaml:3:10: arrival: unknown arrival 'lifo' (use interleaved, sequential or random)"},
      {"apiVersion: berth/v1\nkind: Workload\nnodes: [{ name: n, count: 1, capacity: {} }]\n"
       "pods:\n  - name: p\n    count: 1\n    tolerations: [{ key: k, operator: Equals }]\n",
       "w.yaml:7:39: pods[0].tolerations[0].operator: unknown value 'Equals'; did you mean "
       "'Equal'? (use Equal, Exists)"},
      {"apiVersion: berth/v1\nkind: Workload\nnodes: [{ name: n, count: 1, capacity: {} }]\n"
       "pods:\n  - name: p\n    count: 1\n    lables: { app: x }\n",
       "w.yaml:7:5: pods[0].lables: unknown key 'lables'; did you mean 'labels'? (allowed: name, "
       "count, requests, labels, nodeSelector, nodeAffinity, tolerations, topologySpread, "
       "antiAffinity)"},
  };
  for (const auto &c : cases) {
    auto loaded = parse_workload(c.text, "w.yaml");
    ASSERT_FALSE(loaded.workload) << c.text;
    EXPECT_EQ(loaded.diagnostics.front().to_string(), c.expected);
  }
}

TEST(Workload, ShapeNamesAreUniqueAndPodsTakeNoPodRequest) {
  auto twice = parse_workload("apiVersion: berth/v1\nkind: Workload\nnodes:\n"
                              "  - { name: n, count: 1, capacity: {} }\n"
                              "  - { name: n, count: 1, capacity: {} }\n"
                              "pods: [{ name: p, count: 1, requests: { pods: 1 } }]\n",
                              "w.yaml");
  ASSERT_EQ(twice.diagnostics.size(), 2U);
  EXPECT_EQ(twice.diagnostics[0].to_string(),
            "w.yaml:5:13: nodes[1].name: duplicate shape name 'n'");
  EXPECT_EQ(twice.diagnostics[1].to_string(),
            "w.yaml:6:41: pods[0].requests.pods: a pod always takes one pod slot; remove 'pods'");
  auto defaults = parse_workload("apiVersion: berth/v1\nkind: Workload\nnodes:\n"
                                 "  - { name: n, count: 1, capacity: { cpu: '4' } }\n"
                                 "pods: [{ name: p, count: 1 }]\n",
                                 "w.yaml");
  ASSERT_TRUE(defaults.workload);
  EXPECT_EQ(defaults.workload->nodes[0].capacity.pods, 110); // the kubelet's default
}

TEST(Workload, LabelExpressionsAndTolerationsAreCheckedAsKubernetesDoes) {
  const std::string head = "apiVersion: berth/v1\nkind: Workload\n"
                           "nodes: [{ name: n, count: 1, capacity: {} }]\npods:\n"
                           "  - name: p\n    count: 1\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    nodeAffinity: { required: [{ matchExpressions: [{ key: z, operator: In }] }] }\n",
       "In needs at least one value"},
      {"    nodeAffinity: { required: [{ matchExpressions: [{ key: z, operator: Exists, "
       "values: [a] }] }] }\n",
       "Exists takes no values"},
      {"    nodeAffinity: { required: [{ matchExpressions: [{ key: z, operator: Gt, values: "
       "[x] }] }] }\n",
       "Gt takes exactly one integer value"},
      {"    tolerations: [{ operator: Equal, value: v }]\n",
       "an Equal toleration needs a key (use operator Exists to tolerate every taint)"},
  };
  for (const auto &[text, message] : cases) {
    auto loaded = parse_workload(head + text, "w.yaml");
    ASSERT_FALSE(loaded.workload) << text;
    EXPECT_EQ(loaded.diagnostics.front().message, message);
  }
}

TEST(Workload, ResizeKeepsProportions) {
  auto workload = uniform_workload(10, 100);
  PodShape second = workload.pods[0];
  second.count = 300;
  workload.pods.push_back(second);
  resize_workload(workload, 40, 1000);
  EXPECT_EQ(workload.node_count(), 40U);
  EXPECT_EQ(workload.pods[0].count, 250U);
  EXPECT_EQ(workload.pods[1].count, 750U);
}

TEST(Workload, ExampleWorkloadsParse) {
  for (const auto &entry :
       std::filesystem::directory_iterator(BERTH_SOURCE_DIR "/examples/workloads")) {
    auto loaded = read_workload_file(entry.path());
    EXPECT_TRUE(loaded.workload) << loaded.diagnostics.front().to_string();
  }
}

} // namespace
} // namespace berth
