#include "taints/taints.hpp"

namespace berth::scheduler {

sdk::FilterStatus TaintToleration::filter(const sdk::PodSpec &pod,
                                          const sdk::NodeInfo &node) noexcept {
  for (const auto &taint : node.taints) {
    const bool hard = taint.effect == "NoSchedule" || taint.effect == "NoExecute";
    if (hard && !sdk::tolerated(pod.tolerations, taint)) {
      return {"taint not tolerated"};
    }
  }
  return {};
}

// The raw score counts untolerated PreferNoSchedule taints; normalize turns
// "fewest" into "best".
std::int64_t TaintToleration::score(const sdk::PodSpec &pod, const sdk::NodeInfo &node) noexcept {
  std::int64_t count = 0;
  for (const auto &taint : node.taints) {
    if (taint.effect == "PreferNoSchedule" && !sdk::tolerated(pod.tolerations, taint)) {
      ++count;
    }
  }
  return count;
}

void TaintToleration::normalize(const sdk::PodSpec & /*pod*/,
                                std::span<sdk::NodeScore> scores) noexcept {
  sdk::normalize_by_max(scores, /*reverse=*/true);
}

} // namespace berth::scheduler
