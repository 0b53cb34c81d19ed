// anti-affinity: keeps pods away from pods matching a label selector within a
// topology domain (a node, a zone). Required terms filter, in both
// directions: the pod may not join a domain where it matches an existing
// pod's required term either. Preferred terms score: fewer matches is better.
#pragma once

#include <berth/sdk/scheduler.hpp>

#include <set>
#include <unordered_map>
#include <utility>

namespace berth::scheduler {

class PodAntiAffinityPlugin final : public sdk::SchedulerPlugin {
public:
  [[nodiscard]] std::uint32_t extension_points() const noexcept override {
    return sdk::kPreFilter | sdk::kFilter | sdk::kScore | sdk::kNormalize | sdk::kReserve;
  }
  sdk::Result<void> pre_filter(const sdk::PodSpec &pod,
                               std::span<const sdk::NodeInfo> nodes) noexcept override;
  sdk::FilterStatus filter(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
  std::int64_t score(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
  void normalize(const sdk::PodSpec &pod, std::span<sdk::NodeScore> scores) noexcept override;
  sdk::Result<void> reserve(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
  void unreserve(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;

private:
  using Domain = std::pair<std::string, std::string>; // (topology key, label value)

  void collect(const sdk::PodSpec &pod, const sdk::NodeInfo &node, const sdk::PodSpec &placed);

  // Per-cycle state, written by pre_filter only.
  std::set<Domain> forbidden_;
  std::vector<std::unordered_map<std::string, std::int64_t>> preferred_counts_;
  // Placed pods that carry required terms: while there are none, the
  // symmetric check needs no scan of the cluster.
  std::int64_t placed_with_required_ = 0;
};

} // namespace berth::scheduler
