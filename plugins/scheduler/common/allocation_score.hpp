// spread and binpack: one score over how full a node would be with the pod,
// read in opposite directions. Least allocated spreads pods; most allocated
// packs them.
#pragma once

#include "common/resource_math.hpp"

#include <berth/sdk/scheduler.hpp>

namespace berth::scheduler {

enum class Preference { least_allocated, most_allocated };

inline constexpr berth_option_spec kAllocationOptions[] = {
    {"cpu_weight", BERTH_OPTION_INT, "1", nullptr, "weight of cpu in the score, 0 to 100"},
    {"memory_weight", BERTH_OPTION_INT, "1", nullptr, "weight of memory in the score, 0 to 100"},
};

template <Preference kPreference> class AllocationScore final : public sdk::SchedulerPlugin {
public:
  static sdk::Result<std::unique_ptr<AllocationScore>> create(sdk::HostServices & /*host*/,
                                                              const nlohmann::json &options) {
    const auto cpu = options.at("cpu_weight").get<std::int64_t>();
    const auto memory = options.at("memory_weight").get<std::int64_t>();
    if (cpu < 0 || cpu > 100 || memory < 0 || memory > 100 || cpu + memory == 0) {
      return sdk::make_error(sdk::Errc::invalid_argument, "weights must be 0 to 100 and not both 0",
                             "cpu_weight, memory_weight");
    }
    return std::make_unique<AllocationScore>(cpu, memory);
  }

  AllocationScore(std::int64_t cpu_weight, std::int64_t memory_weight)
      : cpu_weight_(cpu_weight), memory_weight_(memory_weight) {}

  [[nodiscard]] std::uint32_t extension_points() const noexcept override { return sdk::kScore; }

  std::int64_t score(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept override {
    return kPreference == Preference::most_allocated
               ? weighted_share(pod, node, cpu_weight_, memory_weight_, used_share)
               : weighted_share(pod, node, cpu_weight_, memory_weight_, free_share);
  }

private:
  std::int64_t cpu_weight_;
  std::int64_t memory_weight_;
};

} // namespace berth::scheduler
