// Scheduler plugins v1: the kube-scheduler framework, slimmed down.
//
// For each pod the framework runs, in order: PreFilter (once, all nodes),
// Filter (each candidate node, in parallel), PreScore (once, the feasible
// nodes), Score (each feasible node, in parallel), Normalize (once), and
// Reserve (the chosen node). A plugin keeps per-cycle state in its own
// members: PreFilter and PreScore write it, Filter and Score only read it,
// so Filter and Score must be safe to call from several threads at once.
//
// One plugin object may serve several extension points; extension_points()
// says which, so the framework never calls a default it does not need.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sdk::inline v1 {

struct Resources {
  std::int64_t cpu_millis = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t pods = 0;
  std::map<std::string, std::int64_t> extended; // "example.com/gpu" -> count
};

using Labels = std::map<std::string, std::string>;

struct Taint {
  std::string key;
  std::string value;
  std::string effect; // NoSchedule | PreferNoSchedule | NoExecute
};

struct Toleration {
  std::string key;          // empty with op Exists: tolerates every taint
  std::string op = "Equal"; // Equal | Exists
  std::string value;
  std::string effect; // empty: every effect
};

// One label condition, as in Kubernetes' NodeSelectorRequirement.
struct LabelRequirement {
  std::string key;
  std::string op; // In | NotIn | Exists | DoesNotExist | Gt | Lt
  std::vector<std::string> values;
};

// All requirements must hold (AND).
struct NodeSelectorTerm {
  std::vector<LabelRequirement> match_expressions;
};

struct PreferredSchedulingTerm {
  std::int32_t weight = 1; // 1..100
  NodeSelectorTerm term;
};

struct NodeAffinity {
  std::vector<NodeSelectorTerm> required; // any one term must hold (OR)
  std::vector<PreferredSchedulingTerm> preferred;
};

struct LabelSelector {
  Labels match_labels;
  std::vector<LabelRequirement> match_expressions;
};

struct TopologySpreadConstraint {
  std::int32_t max_skew = 1;
  std::string topology_key;                         // a node label, e.g. "zone"
  std::string when_unsatisfiable = "DoNotSchedule"; // or ScheduleAnyway
  LabelSelector selector;                           // which pods count
};

struct PodAffinityTerm {
  LabelSelector selector;
  std::string topology_key; // "kubernetes.io/hostname" for one pod per node
};

struct WeightedPodAffinityTerm {
  std::int32_t weight = 1; // 1..100
  PodAffinityTerm term;
};

struct PodAntiAffinity {
  std::vector<PodAffinityTerm> required;
  std::vector<WeightedPodAffinityTerm> preferred;
};

struct PodSpec {
  std::string name;
  Resources requests;
  Labels labels;
  Labels node_selector;
  NodeAffinity node_affinity;
  std::vector<Toleration> tolerations;
  std::vector<TopologySpreadConstraint> topology_spread;
  PodAntiAffinity anti_affinity;
};

// What scoring assumes a pod uses when it requests nothing (kube-scheduler's
// defaults), so that pods without requests still spread.
inline constexpr std::int64_t kDefaultCpuMillisRequest = 100;
inline constexpr std::int64_t kDefaultMemoryRequest = 200LL << 20;

inline std::int64_t non_zero_cpu(const Resources &requests) {
  return requests.cpu_millis != 0 ? requests.cpu_millis : kDefaultCpuMillisRequest;
}
inline std::int64_t non_zero_memory(const Resources &requests) {
  return requests.memory_bytes != 0 ? requests.memory_bytes : kDefaultMemoryRequest;
}

struct NodeInfo {
  std::string name;
  Resources capacity;
  Resources allocated; // sum of the requests of the pods placed here
  // The same sum with kDefault*Request standing in for requests of zero:
  // what least/most-allocated scoring reads.
  std::int64_t non_zero_cpu_millis = 0;
  std::int64_t non_zero_memory_bytes = 0;
  Labels labels;
  std::vector<Taint> taints;
  std::vector<const PodSpec *> pods; // placed here; owned by the framework
  // The subset of pods that carry anti-affinity terms, so that the symmetric
  // check need not scan every pod (Kubernetes keeps the same list).
  std::vector<const PodSpec *> pods_with_anti_affinity;
};

// Why a node was rejected; an empty reason means the node fits. Reasons are
// short and stable ("insufficient memory") because the framework counts them.
struct FilterStatus {
  std::string reason;
  [[nodiscard]] bool fits() const noexcept { return reason.empty(); }
};

struct NodeScore {
  std::size_t node = 0; // index into the framework's node list
  std::int64_t score = 0;
};

enum ExtensionPoint : std::uint32_t {
  kPreFilter = 1U << 0U,
  kFilter = 1U << 1U,
  kPreScore = 1U << 2U,
  kScore = 1U << 3U,
  kNormalize = 1U << 4U,
  kReserve = 1U << 5U,
};

inline constexpr std::int64_t kMaxNodeScore = 100;

class SchedulerPlugin : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = SchedulerPlugin;
  static constexpr const char *interface_id = "berth.scheduler.v1";

  // A bitmask of ExtensionPoint.
  [[nodiscard]] virtual std::uint32_t extension_points() const noexcept = 0;

  // Once per pod, with every node. An error makes the pod unschedulable on
  // all nodes, with the error's message as the reason.
  virtual Result<void> pre_filter(const PodSpec &pod, std::span<const NodeInfo> nodes) noexcept {
    (void)pod;
    (void)nodes;
    return {};
  }
  // Thread-safe: called concurrently for different nodes.
  virtual FilterStatus filter(const PodSpec &pod, const NodeInfo &node) noexcept {
    (void)pod;
    (void)node;
    return {};
  }
  // Once per pod, with the nodes that passed every filter.
  virtual void pre_score(const PodSpec &pod, std::span<const NodeInfo *const> feasible) noexcept {
    (void)pod;
    (void)feasible;
  }
  // 0..kMaxNodeScore, higher is better, unless normalize() rescales it.
  // Thread-safe: called concurrently for different nodes.
  virtual std::int64_t score(const PodSpec &pod, const NodeInfo &node) noexcept {
    (void)pod;
    (void)node;
    return 0;
  }
  // Rescale this plugin's scores of one cycle into 0..kMaxNodeScore.
  virtual void normalize(const PodSpec &pod, std::span<NodeScore> scores) noexcept {
    (void)pod;
    (void)scores;
  }
  // The pod is about to be placed on node; a plugin tracking state may
  // refuse. Unreserve undoes a reserve when a later plugin refused.
  virtual Result<void> reserve(const PodSpec &pod, const NodeInfo &node) noexcept {
    (void)pod;
    (void)node;
    return {};
  }
  virtual void unreserve(const PodSpec &pod, const NodeInfo &node) noexcept {
    (void)pod;
    (void)node;
  }
};

template <> struct KindOf<SchedulerPlugin> {
  static constexpr uint32_t value = BERTH_KIND_SCHEDULER;
};

// Label matching, shared by every plugin so that all of them read selectors
// the way Kubernetes does.

inline bool matches(const LabelRequirement &requirement, const Labels &labels) noexcept {
  const auto it = labels.find(requirement.key);
  const bool present = it != labels.end();
  const auto &values = requirement.values;
  const auto listed = [&] {
    return present && std::find(values.begin(), values.end(), it->second) != values.end();
  };
  const auto compare = [&](bool greater) {
    if (!present || values.size() != 1) {
      return false;
    }
    const auto integer = [](const std::string &text, long long &out) {
      char *end = nullptr;
      errno = 0;
      out = std::strtoll(text.c_str(), &end, 10);
      return !text.empty() && *end == '\0' && errno == 0;
    };
    long long have = 0;
    long long want = 0;
    if (!integer(it->second, have) || !integer(values.front(), want)) {
      return false;
    }
    return greater ? have > want : have < want;
  };
  if (requirement.op == "In") {
    return listed();
  }
  if (requirement.op == "NotIn") {
    return !listed();
  }
  if (requirement.op == "Exists") {
    return present;
  }
  if (requirement.op == "DoesNotExist") {
    return !present;
  }
  if (requirement.op == "Gt") {
    return compare(true);
  }
  if (requirement.op == "Lt") {
    return compare(false);
  }
  return false;
}

// An empty term matches no node, as in Kubernetes.
inline bool matches(const NodeSelectorTerm &term, const Labels &labels) noexcept {
  return !term.match_expressions.empty() &&
         std::all_of(term.match_expressions.begin(), term.match_expressions.end(),
                     [&](const LabelRequirement &r) { return matches(r, labels); });
}

inline bool matches(const LabelSelector &selector, const Labels &labels) noexcept {
  for (const auto &[key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  return std::all_of(selector.match_expressions.begin(), selector.match_expressions.end(),
                     [&](const LabelRequirement &r) { return matches(r, labels); });
}

// The pod's nodeSelector: every label equal on the node.
inline bool matches_node_selector(const PodSpec &pod, const Labels &labels) noexcept {
  return std::all_of(pod.node_selector.begin(), pod.node_selector.end(), [&](const auto &wanted) {
    auto it = labels.find(wanted.first);
    return it != labels.end() && it->second == wanted.second;
  });
}

// The pod's required node affinity: no terms, or any one term matching.
inline bool matches_required_affinity(const PodSpec &pod, const Labels &labels) noexcept {
  const auto &required = pod.node_affinity.required;
  return required.empty() || std::any_of(required.begin(), required.end(),
                                         [&](const auto &term) { return matches(term, labels); });
}

// The first resource node lacks for requests: "pods" (no free slot), "cpu",
// "memory" or an extended resource's name; empty when the requests fit.
inline std::string_view missing_resource(const Resources &requests, const NodeInfo &node) noexcept {
  const auto extended = [](const Resources &r, const std::string &name) {
    auto it = r.extended.find(name);
    return it == r.extended.end() ? std::int64_t{0} : it->second;
  };
  if (node.allocated.pods + 1 > node.capacity.pods) {
    return "pods";
  }
  if (node.allocated.cpu_millis + requests.cpu_millis > node.capacity.cpu_millis) {
    return "cpu";
  }
  if (node.allocated.memory_bytes + requests.memory_bytes > node.capacity.memory_bytes) {
    return "memory";
  }
  for (const auto &[name, amount] : requests.extended) {
    if (extended(node.allocated, name) + amount > extended(node.capacity, name)) {
      return name;
    }
  }
  return {};
}

inline bool tolerates(const Toleration &toleration, const Taint &taint) noexcept {
  if (!toleration.effect.empty() && toleration.effect != taint.effect) {
    return false;
  }
  if (toleration.op == "Exists") {
    return toleration.key.empty() || toleration.key == taint.key;
  }
  return toleration.key == taint.key && toleration.value == taint.value;
}

inline bool tolerated(const std::vector<Toleration> &tolerations, const Taint &taint) noexcept {
  return std::any_of(tolerations.begin(), tolerations.end(),
                     [&](const Toleration &t) { return tolerates(t, taint); });
}

// Rescales scores to 0..kMaxNodeScore by their maximum; reverse makes the
// lowest raw score the best (for "fewer violations is better" plugins).
inline void normalize_by_max(std::span<NodeScore> scores, bool reverse) noexcept {
  std::int64_t max = 0;
  for (const auto &s : scores) {
    max = std::max(max, s.score);
  }
  for (auto &s : scores) {
    if (max == 0) {
      s.score = reverse ? kMaxNodeScore : 0;
      continue;
    }
    const std::int64_t scaled = s.score * kMaxNodeScore / max;
    s.score = reverse ? kMaxNodeScore - scaled : scaled;
  }
}

} // namespace berth::sdk::inline v1
