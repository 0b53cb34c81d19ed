#include "anti-affinity/anti_affinity.hpp"

namespace berth::scheduler {
namespace {

const std::string *domain_of(const sdk::NodeInfo &node, const std::string &key) {
  auto it = node.labels.find(key);
  return it == node.labels.end() ? nullptr : &it->second;
}

} // namespace

// The terms one pod carries, against the labels of another on node: used
// both ways round, the incoming pod's terms against a placed pod and a
// placed pod's terms against the incoming one.
void PodAntiAffinityPlugin::add_terms(const sdk::PodAntiAffinity &terms, const sdk::Labels &other,
                                      const sdk::NodeInfo &node) {
  for (const auto &term : terms.required) {
    const auto *value = domain_of(node, term.topology_key);
    if (value != nullptr && sdk::matches(term.selector, other)) {
      forbidden_.emplace(term.topology_key, *value);
    }
  }
  for (const auto &weighted : terms.preferred) {
    const auto *value = domain_of(node, weighted.term.topology_key);
    if (value != nullptr && sdk::matches(weighted.term.selector, other)) {
      penalty_[{weighted.term.topology_key, *value}] += weighted.weight;
      keys_.insert(weighted.term.topology_key);
    }
  }
}

sdk::Result<void> PodAntiAffinityPlugin::pre_filter(const sdk::PodSpec &pod,
                                                    std::span<const sdk::NodeInfo> nodes) noexcept {
  forbidden_.clear();
  penalty_.clear();
  keys_.clear();
  const bool own = !pod.anti_affinity.required.empty() || !pod.anti_affinity.preferred.empty();
  for (const auto &node : nodes) {
    // Only pods with terms of their own can repel this pod; the snapshot
    // lists them per node, so most cycles touch no pod at all.
    for (const auto *placed : node.pods_with_anti_affinity) {
      add_terms(placed->anti_affinity, pod.labels, node);
    }
    if (own) {
      for (const auto *placed : node.pods) {
        add_terms(pod.anti_affinity, placed->labels, node);
      }
    }
  }
  return {};
}

sdk::FilterStatus PodAntiAffinityPlugin::filter(const sdk::PodSpec & /*pod*/,
                                                const sdk::NodeInfo &node) noexcept {
  for (const auto &[key, value] : forbidden_) {
    const auto *here = domain_of(node, key);
    if (here != nullptr && *here == value) {
      return {"anti-affinity rule violated"};
    }
  }
  return {};
}

std::int64_t PodAntiAffinityPlugin::score(const sdk::PodSpec & /*pod*/,
                                          const sdk::NodeInfo &node) noexcept {
  std::int64_t total = 0;
  for (const auto &key : keys_) {
    const auto *value = domain_of(node, key);
    if (value == nullptr) {
      continue;
    }
    auto penalty = penalty_.find({key, *value});
    total += penalty == penalty_.end() ? 0 : penalty->second;
  }
  return total;
}

void PodAntiAffinityPlugin::normalize(const sdk::PodSpec & /*pod*/,
                                      std::span<sdk::NodeScore> scores) noexcept {
  sdk::normalize_by_max(scores, /*reverse=*/true);
}

} // namespace berth::scheduler
