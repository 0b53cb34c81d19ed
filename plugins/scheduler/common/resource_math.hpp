// Allocation scoring shared by the scheduler plugins in this tree (spread,
// binpack); fitting itself is sdk::missing_resource. Header-only; plugins stay independent .so
// files.
#pragma once

#include <berth/sdk/scheduler.hpp>

#include <cstdint>
#include <string>

namespace berth::scheduler {

// kube-scheduler's per-resource scores, in integer percent: the free share
// (least allocated) or the used share (most allocated) once the pod is
// added. A resource the node does not have scores 0 either way.
inline std::int64_t free_share(std::int64_t allocated, std::int64_t request,
                               std::int64_t capacity) {
  const std::int64_t requested = allocated + request;
  if (capacity <= 0 || requested > capacity) {
    return 0;
  }
  return (capacity - requested) * sdk::kMaxNodeScore / capacity;
}
inline std::int64_t used_share(std::int64_t allocated, std::int64_t request,
                               std::int64_t capacity) {
  const std::int64_t requested = allocated + request;
  if (capacity <= 0 || requested > capacity) {
    return 0;
  }
  return requested * sdk::kMaxNodeScore / capacity;
}

// The weighted mean over cpu and memory of share(allocated, request, capacity).
template <class Share>
std::int64_t weighted_share(const sdk::PodSpec &pod, const sdk::NodeInfo &node,
                            std::int64_t cpu_weight, std::int64_t memory_weight, Share share) {
  const std::int64_t total = cpu_weight + memory_weight;
  if (total <= 0) {
    return 0;
  }
  const auto cpu =
      share(node.non_zero_cpu_millis, sdk::non_zero_cpu(pod.requests), node.capacity.cpu_millis);
  const auto memory = share(node.non_zero_memory_bytes, sdk::non_zero_memory(pod.requests),
                            node.capacity.memory_bytes);
  return (cpu * cpu_weight + memory * memory_weight) / total;
}

} // namespace berth::scheduler
