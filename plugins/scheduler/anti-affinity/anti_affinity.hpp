// anti-affinity: keeps pods away from pods matching a label selector within a
// topology domain (a node, a zone). Both directions count, as in
// Kubernetes: the pod's own terms against placed pods, and placed pods'
// terms against the pod. Required terms filter; preferred terms score,
// fewer weighted matches being better.
#pragma once

#include <berth/sdk/scheduler.hpp>

#include <map>
#include <set>
#include <utility>

namespace berth::scheduler {

class PodAntiAffinityPlugin final : public sdk::SchedulerPlugin {
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
  using Domain = std::pair<std::string, std::string>; // (topology key, label value)

  void add_terms(const sdk::PodAntiAffinity &terms, const sdk::Labels &other,
                 const sdk::NodeInfo &node);

  // Per-cycle state, written by pre_filter only.
  std::set<Domain> forbidden_;
  std::map<Domain, std::int64_t> penalty_; // weighted preferred matches per domain
  std::set<std::string> keys_;             // topology keys that penalty_ uses
};

} // namespace berth::scheduler
