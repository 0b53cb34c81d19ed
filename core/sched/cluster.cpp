#include "sched/cluster.hpp"

namespace berth {

const sdk::PodSpec &Cluster::place(const sdk::PodSpec &pod, std::size_t node) {
  auto &target = nodes_.at(node);
  const auto &stored = pods_.emplace_back(pod);
  target.allocated.cpu_millis += pod.requests.cpu_millis;
  target.allocated.memory_bytes += pod.requests.memory_bytes;
  target.allocated.pods += 1;
  target.non_zero_cpu_millis += sdk::non_zero_cpu(pod.requests);
  target.non_zero_memory_bytes += sdk::non_zero_memory(pod.requests);
  for (const auto &[name, amount] : pod.requests.extended) {
    target.allocated.extended[name] += amount;
  }
  target.pods.push_back(&stored);
  const auto &anti = stored.anti_affinity;
  if (!anti.required.empty() || !anti.preferred.empty()) {
    target.pods_with_anti_affinity.push_back(&stored);
  }
  return stored;
}

} // namespace berth
