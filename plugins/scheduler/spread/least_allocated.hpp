// spread: prefers the node with the most room left (spreads pods).
#pragma once

#include <berth/sdk/scheduler.hpp>

namespace berth::scheduler {

class LeastAllocated final : public sdk::SchedulerPlugin {
public:
  static sdk::Result<std::unique_ptr<LeastAllocated>> create(sdk::HostServices &host,
                                                             const nlohmann::json &options);
  LeastAllocated(std::int64_t cpu_weight, std::int64_t memory_weight)
      : cpu_weight_(cpu_weight), memory_weight_(memory_weight) {}

  [[nodiscard]] std::uint32_t extension_points() const noexcept override { return sdk::kScore; }
  std::int64_t score(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override;

private:
  std::int64_t cpu_weight_;
  std::int64_t memory_weight_;
};

} // namespace berth::scheduler
