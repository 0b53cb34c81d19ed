// resources-fit: a node fits when it has room for the pod's requests
// (cpu, memory, pod slots and every extended resource).
#pragma once

#include <berth/sdk/scheduler.hpp>

namespace berth::scheduler {

class ResourcesFit final : public sdk::SchedulerPlugin {
public:
  [[nodiscard]] std::uint32_t extension_points() const noexcept override { return sdk::kFilter; }
  sdk::FilterStatus filter(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;
};

} // namespace berth::scheduler
