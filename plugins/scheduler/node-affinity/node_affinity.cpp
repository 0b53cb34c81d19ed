#include "node-affinity/node_affinity.hpp"

namespace berth::scheduler {

sdk::FilterStatus NodeAffinityPlugin::filter(const sdk::PodSpec &pod,
                                             const sdk::NodeInfo &node) noexcept {
  if (!sdk::matches_node_selector(pod, node.labels)) {
    return {"node selector mismatch"};
  }
  if (!sdk::matches_required_affinity(pod, node.labels)) {
    return {"node affinity mismatch"};
  }
  return {};
}

std::int64_t NodeAffinityPlugin::score(const sdk::PodSpec &pod,
                                       const sdk::NodeInfo &node) noexcept {
  std::int64_t total = 0;
  for (const auto &preferred : pod.node_affinity.preferred) {
    total += sdk::matches(preferred.term, node.labels) ? preferred.weight : 0;
  }
  return total;
}

void NodeAffinityPlugin::normalize(const sdk::PodSpec & /*pod*/,
                                   std::span<sdk::NodeScore> scores) noexcept {
  sdk::normalize_by_max(scores, /*reverse=*/false);
}

} // namespace berth::scheduler
