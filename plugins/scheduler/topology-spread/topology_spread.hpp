// topology-spread: keeps matching pods evenly spread over the values of a node
// label (a zone, a rack). DoNotSchedule constraints filter: placing the pod
// may not make any domain exceed the least-loaded one by more than maxSkew.
// ScheduleAnyway constraints score: emptier domains are preferred.
#pragma once

#include <berth/sdk/scheduler.hpp>

#include <unordered_map>

namespace berth::scheduler {

class TopologySpread final : public sdk::SchedulerPlugin {
public:
  [[nodiscard]] std::uint32_t extension_points() const noexcept override {
    return sdk::kPreFilter | sdk::kFilter | sdk::kScore | sdk::kNormalize;
  }
  sdk::Result<void> pre_filter(const sdk::PodSpec &pod,
                               std::span<const sdk::NodeInfo> nodes) noexcept override;
  sdk::FilterStatus filter(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
  std::int64_t score(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
  void normalize(const sdk::PodSpec &pod, std::span<sdk::NodeScore> scores) noexcept override;

private:
  // One constraint's view of the cluster in this cycle.
  struct Domains {
    const sdk::TopologySpreadConstraint *constraint = nullptr;
    std::unordered_map<std::string, std::int64_t> matching; // domain value -> matching pods
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::int64_t self = 0; // 1 when the pod matches its own selector
  };

  std::vector<Domains> domains_; // per-cycle state, written by pre_filter only
};

} // namespace berth::scheduler
