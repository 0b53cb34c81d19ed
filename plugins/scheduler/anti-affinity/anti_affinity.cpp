#include "anti-affinity/anti_affinity.hpp"

namespace berth::scheduler {
namespace {

const std::string *domain_of(const sdk::NodeInfo &node, const std::string &key) {
  auto it = node.labels.find(key);
  return it == node.labels.end() ? nullptr : &it->second;
}

} // namespace

// The incoming pod's terms against one placed pod.
void PodAntiAffinityPlugin::own_terms(const sdk::PodSpec &pod, const sdk::NodeInfo &node,
                                      const sdk::PodSpec &placed) {
  for (const auto &term : pod.anti_affinity.required) {
    const auto *value = domain_of(node, term.topology_key);
    if (value != nullptr && sdk::matches(term.selector, placed.labels)) {
      forbidden_.emplace(term.topology_key, *value);
    }
  }
  for (const auto &weighted : pod.anti_affinity.preferred) {
    const auto *value = domain_of(node, weighted.term.topology_key);
    if (value != nullptr && sdk::matches(weighted.term.selector, placed.labels)) {
      penalty_[{weighted.term.topology_key, *value}] += weighted.weight;
      keys_.insert(weighted.term.topology_key);
    }
  }
}

// One placed pod's terms against the incoming pod.
void PodAntiAffinityPlugin::placed_terms(const sdk::PodSpec &pod, const sdk::NodeInfo &node,
                                         const sdk::PodSpec &placed) {
  for (const auto &term : placed.anti_affinity.required) {
    const auto *value = domain_of(node, term.topology_key);
    if (value != nullptr && sdk::matches(term.selector, pod.labels)) {
      forbidden_.emplace(term.topology_key, *value);
    }
  }
  for (const auto &weighted : placed.anti_affinity.preferred) {
    const auto *value = domain_of(node, weighted.term.topology_key);
    if (value != nullptr && sdk::matches(weighted.term.selector, pod.labels)) {
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
      placed_terms(pod, node, *placed);
    }
    if (own) {
      for (const auto *placed : node.pods) {
        own_terms(pod, node, *placed);
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
