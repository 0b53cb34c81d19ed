// Scheduler plugins v1: the kube-scheduler framework, slimmed down.
//
// One plugin object may serve several extension points; extension_points()
// says which, so the framework never calls a default it does not need.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace berth::sdk::inline v1 {

struct Resources {
  std::int64_t cpu_millis = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t pods = 0;
  std::map<std::string, std::int64_t> extended;
};

struct Taint {
  std::string key;
  std::string value;
  std::string effect; // NoSchedule | PreferNoSchedule | NoExecute
};

struct Toleration {
  std::string key;          // empty with operator Exists: tolerates everything
  std::string op = "Equal"; // Equal | Exists
  std::string value;
  std::string effect; // empty: all effects
};

struct NodeInfo {
  std::string name;
  Resources capacity;
  Resources allocated;
  std::map<std::string, std::string> labels;
  std::vector<Taint> taints;
};

struct PodSpec {
  std::string name;
  Resources requests;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> node_selector;
  std::vector<Toleration> tolerations;
};

// Why a node was rejected; an empty reason means the node fits. Reasons are
// short and stable ("insufficient memory") because the framework counts them.
struct FilterStatus {
  std::string reason;
  [[nodiscard]] bool fits() const noexcept { return reason.empty(); }
};

struct NodeScore {
  std::string node;
  std::int64_t score = 0;
};

enum ExtensionPoint : std::uint32_t {
  kFilter = 1U << 0U,
  kScore = 1U << 1U,
  kNormalize = 1U << 2U,
  kReserve = 1U << 3U,
};

class SchedulerPlugin : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = SchedulerPlugin;
  static constexpr const char *interface_id = "berth.scheduler.v1";

  // A bitmask of ExtensionPoint.
  [[nodiscard]] virtual std::uint32_t extension_points() const noexcept = 0;

  virtual FilterStatus filter(const PodSpec &pod, const NodeInfo &node) noexcept {
    (void)pod;
    (void)node;
    return {};
  }
  // 0..100; higher is better.
  virtual std::int64_t score(const PodSpec &pod, const NodeInfo &node) noexcept {
    (void)pod;
    (void)node;
    return 0;
  }
  // Rescale this plugin's scores of one cycle into 0..100.
  virtual void normalize(const PodSpec &pod, std::vector<NodeScore> &scores) noexcept {
    (void)pod;
    (void)scores;
  }
  virtual Result<void> reserve(const PodSpec &pod, const std::string &node) noexcept {
    (void)pod;
    (void)node;
    return {};
  }
  virtual void unreserve(const PodSpec &pod, const std::string &node) noexcept {
    (void)pod;
    (void)node;
  }
};

template <> struct KindOf<SchedulerPlugin> {
  static constexpr uint32_t value = BERTH_KIND_SCHEDULER;
};

} // namespace berth::sdk::inline v1
