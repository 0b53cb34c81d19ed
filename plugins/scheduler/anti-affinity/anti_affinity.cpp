#include "anti-affinity/anti_affinity.hpp"

namespace berth::scheduler {
namespace {

const std::string *domain_of(const sdk::NodeInfo &node, const std::string &key) {
  auto it = node.labels.find(key);
  return it == node.labels.end() ? nullptr : &it->second;
}

} // namespace

// What one placed pod means for the incoming pod on this node's domains.
void PodAntiAffinityPlugin::collect(const sdk::PodSpec &pod, const sdk::NodeInfo &node,
                                    const sdk::PodSpec &placed) {
  for (const auto &term : pod.anti_affinity.required) {
    const auto *value = domain_of(node, term.topology_key);
    if (value != nullptr && sdk::matches(term.selector, placed.labels)) {
      forbidden_.emplace(term.topology_key, *value);
    }
  }
  for (const auto &term : placed.anti_affinity.required) {
    const auto *value = domain_of(node, term.topology_key);
    if (value != nullptr && sdk::matches(term.selector, pod.labels)) {
      forbidden_.emplace(term.topology_key, *value);
    }
  }
  for (std::size_t i = 0; i < pod.anti_affinity.preferred.size(); ++i) {
    const auto &term = pod.anti_affinity.preferred[i].term;
    const auto *value = domain_of(node, term.topology_key);
    if (value != nullptr && sdk::matches(term.selector, placed.labels)) {
      ++preferred_counts_[i][*value];
    }
  }
}

sdk::Result<void> PodAntiAffinityPlugin::pre_filter(const sdk::PodSpec &pod,
                                                    std::span<const sdk::NodeInfo> nodes) noexcept {
  forbidden_.clear();
  preferred_counts_.assign(pod.anti_affinity.preferred.size(), {});
  const bool has_terms =
      !pod.anti_affinity.required.empty() || !pod.anti_affinity.preferred.empty();
  if (!has_terms && placed_with_required_ == 0) {
    return {};
  }
  for (const auto &node : nodes) {
    for (const auto *placed : node.pods) {
      collect(pod, node, *placed);
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

std::int64_t PodAntiAffinityPlugin::score(const sdk::PodSpec &pod,
                                          const sdk::NodeInfo &node) noexcept {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < preferred_counts_.size(); ++i) {
    const auto &weighted = pod.anti_affinity.preferred[i];
    const auto *value = domain_of(node, weighted.term.topology_key);
    if (value == nullptr) {
      continue;
    }
    auto count = preferred_counts_[i].find(*value);
    total += count == preferred_counts_[i].end() ? 0 : count->second * weighted.weight;
  }
  return total;
}

void PodAntiAffinityPlugin::normalize(const sdk::PodSpec & /*pod*/,
                                      std::span<sdk::NodeScore> scores) noexcept {
  sdk::normalize_by_max(scores, /*reverse=*/true);
}

sdk::Result<void> PodAntiAffinityPlugin::reserve(const sdk::PodSpec &pod,
                                                 const sdk::NodeInfo & /*node*/) noexcept {
  placed_with_required_ += pod.anti_affinity.required.empty() ? 0 : 1;
  return {};
}

void PodAntiAffinityPlugin::unreserve(const sdk::PodSpec &pod,
                                      const sdk::NodeInfo & /*node*/) noexcept {
  placed_with_required_ -= pod.anti_affinity.required.empty() ? 0 : 1;
}

} // namespace berth::scheduler
