// Resource arithmetic shared by the scheduler plugins in this tree
// (resources-fit, spread, binpack). Header-only; plugins stay independent .so files.
#pragma once

#include <berth/sdk/scheduler.hpp>

#include <cstdint>
#include <string>

namespace berth::scheduler {

// What is left on node for one more pod, per resource; negative: overcommitted.
inline std::int64_t free_cpu(const sdk::NodeInfo &node) {
  return node.capacity.cpu_millis - node.allocated.cpu_millis;
}
inline std::int64_t free_memory(const sdk::NodeInfo &node) {
  return node.capacity.memory_bytes - node.allocated.memory_bytes;
}

inline std::int64_t extended_of(const sdk::Resources &resources, const std::string &name) {
  auto it = resources.extended.find(name);
  return it == resources.extended.end() ? 0 : it->second;
}

// Share of capacity in use once pod is added, 0..kMaxNodeScore (clamped).
inline std::int64_t used_share(std::int64_t allocated, std::int64_t request,
                               std::int64_t capacity) {
  if (capacity <= 0) {
    return sdk::kMaxNodeScore;
  }
  const std::int64_t used = std::min(allocated + request, capacity);
  return used * sdk::kMaxNodeScore / capacity;
}

// The weighted mean of the used shares of cpu and memory after placing pod.
inline std::int64_t weighted_used_share(const sdk::PodSpec &pod, const sdk::NodeInfo &node,
                                        std::int64_t cpu_weight, std::int64_t memory_weight) {
  const std::int64_t total = cpu_weight + memory_weight;
  if (total <= 0) {
    return 0;
  }
  const auto cpu =
      used_share(node.allocated.cpu_millis, pod.requests.cpu_millis, node.capacity.cpu_millis);
  const auto memory = used_share(node.allocated.memory_bytes, pod.requests.memory_bytes,
                                 node.capacity.memory_bytes);
  return (cpu * cpu_weight + memory * memory_weight) / total;
}

} // namespace berth::scheduler
