// node-affinity: the pod's nodeSelector and required node-affinity terms as a
// filter; its preferred terms as a score (sum of the weights that match).
#pragma once

#include <berth/sdk/scheduler.hpp>

namespace berth::scheduler {

class NodeAffinityPlugin final : public sdk::SchedulerPlugin {
public:
  [[nodiscard]] std::uint32_t extension_points() const noexcept override {
    return sdk::kFilter | sdk::kScore | sdk::kNormalize;
  }
  sdk::FilterStatus filter(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
  std::int64_t score(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
  void normalize(const sdk::PodSpec &pod, std::span<sdk::NodeScore> scores) noexcept override;
};

} // namespace berth::scheduler
