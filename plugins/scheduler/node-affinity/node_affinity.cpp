#include "node-affinity/node_affinity.hpp"

namespace berth::scheduler {

sdk::FilterStatus NodeAffinityPlugin::filter(const sdk::PodSpec &pod,
                                             const sdk::NodeInfo &node) noexcept {
  for (const auto &[key, value] : pod.node_selector) {
    auto it = node.labels.find(key);
    if (it == node.labels.end() || it->second != value) {
      return {"node selector mismatch"};
    }
  }
  const auto &required = pod.node_affinity.required;
  if (required.empty()) {
    return {};
  }
  const bool any = std::any_of(required.begin(), required.end(),
                               [&](const auto &term) { return sdk::matches(term, node.labels); });
  return any ? sdk::FilterStatus{} : sdk::FilterStatus{"node affinity mismatch"};
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
