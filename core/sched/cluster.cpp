#include "sched/cluster.hpp"

namespace berth {

const sdk::PodSpec &Cluster::place(const sdk::PodSpec &pod, std::size_t node) {
  auto &target = nodes_.at(node);
  const auto &stored = pods_.emplace_back(pod);
  target.allocated.cpu_millis += pod.requests.cpu_millis;
  target.allocated.memory_bytes += pod.requests.memory_bytes;
  target.allocated.pods += 1;
  for (const auto &[name, amount] : pod.requests.extended) {
    target.allocated.extended[name] += amount;
  }
  target.pods.push_back(&stored);
  return stored;
}

} // namespace berth
