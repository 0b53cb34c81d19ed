#include "binpack/most_allocated.hpp"

#include "common/resource_math.hpp"

namespace berth::scheduler {

std::int64_t MostAllocated::score(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept {
  return weighted_used_share(pod, node, cpu_weight_, memory_weight_);
}

} // namespace berth::scheduler
