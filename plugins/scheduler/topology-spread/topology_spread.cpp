#include "topology-spread/topology_spread.hpp"

#include <limits>

namespace berth::scheduler {
namespace {

std::int64_t matching_pods(const sdk::LabelSelector &selector, const sdk::NodeInfo &node) {
  std::int64_t count = 0;
  for (const auto *placed : node.pods) {
    count += sdk::matches(selector, placed->labels) ? 1 : 0;
  }
  return count;
}

} // namespace

sdk::Result<void> TopologySpread::pre_filter(const sdk::PodSpec &pod,
                                             std::span<const sdk::NodeInfo> nodes) noexcept {
  domains_.clear();
  std::string missing;
  for (const auto &constraint : pod.topology_spread) {
    Domains domains;
    domains.constraint = &constraint;
    domains.self = sdk::matches(constraint.selector, pod.labels) ? 1 : 0;
    for (const auto &node : nodes) {
      auto label = node.labels.find(constraint.topology_key);
      // Only nodes the pod could use count as domains, as in Kubernetes'
      // default node-inclusion policy.
      if (label == node.labels.end() || !sdk::matches_node_selector(pod, node.labels) ||
          !sdk::matches_required_affinity(pod, node.labels)) {
        continue;
      }
      domains.matching[label->second] += matching_pods(constraint.selector, node);
    }
    if (domains.matching.empty()) {
      // A preference nobody can meet changes no score; a requirement nobody
      // can meet is reported once every other constraint is counted, so
      // that scoring still has its state.
      if (constraint.when_unsatisfiable == "DoNotSchedule") {
        missing = constraint.topology_key;
      }
      continue;
    }
    domains.min = std::numeric_limits<std::int64_t>::max();
    for (const auto &[value, count] : domains.matching) {
      domains.min = std::min(domains.min, count);
      domains.max = std::max(domains.max, count);
    }
    domains_.push_back(std::move(domains));
  }
  if (!missing.empty()) {
    return sdk::make_error(sdk::Errc::invalid_argument, "no node has topology label " + missing);
  }
  return {};
}

sdk::FilterStatus TopologySpread::filter(const sdk::PodSpec & /*pod*/,
                                         const sdk::NodeInfo &node) noexcept {
  for (const auto &domains : domains_) {
    const auto &constraint = *domains.constraint;
    if (constraint.when_unsatisfiable != "DoNotSchedule") {
      continue;
    }
    auto label = node.labels.find(constraint.topology_key);
    if (label == node.labels.end()) {
      return {"topology label missing"};
    }
    auto count = domains.matching.find(label->second);
    const std::int64_t here = count == domains.matching.end() ? 0 : count->second;
    if (here + domains.self - domains.min > constraint.max_skew) {
      return {"topology spread skew exceeded"};
    }
  }
  return {};
}

// Raw score: matching pods in the node's domains (fewer is better); a node
// outside every domain scores as the fullest.
std::int64_t TopologySpread::score(const sdk::PodSpec & /*pod*/,
                                   const sdk::NodeInfo &node) noexcept {
  std::int64_t total = 0;
  for (const auto &domains : domains_) {
    if (domains.constraint->when_unsatisfiable != "ScheduleAnyway") {
      continue;
    }
    auto label = node.labels.find(domains.constraint->topology_key);
    auto count =
        label == node.labels.end() ? domains.matching.end() : domains.matching.find(label->second);
    total += count == domains.matching.end() ? domains.max + 1 : count->second;
  }
  return total;
}

void TopologySpread::normalize(const sdk::PodSpec & /*pod*/,
                               std::span<sdk::NodeScore> scores) noexcept {
  sdk::normalize_by_max(scores, /*reverse=*/true);
}

} // namespace berth::scheduler
