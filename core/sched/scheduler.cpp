#include "sched/scheduler.hpp"

#include <algorithm>
#include <atomic>

namespace berth {
namespace {

// Nodes per unit of parallel work: big enough to amortise the atomics,
// small enough to stop soon after enough feasible nodes are found.
constexpr std::size_t kChunk = 64;
// Below this many nodes a cycle runs on the calling thread alone.
constexpr std::size_t kParallelThreshold = 512;

} // namespace

std::string Placement::summary(std::size_t total_nodes) const {
  std::vector<std::pair<std::string, std::size_t>> reasons(rejected.begin(), rejected.end());
  std::sort(reasons.begin(), reasons.end(), [](const auto &a, const auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::string out = "0/" + std::to_string(total_nodes) + " nodes available";
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    out += (i == 0 ? ": " : ", ") + std::to_string(reasons[i].second) + " " + reasons[i].first;
  }
  return out;
}

std::size_t feasible_nodes_to_find(std::size_t nodes, int percentage) {
  constexpr std::size_t kMinimum = 100;
  if (nodes < kMinimum || percentage >= 100) {
    return nodes;
  }
  long pct = percentage;
  if (pct <= 0) {
    pct = std::max(5L, 50L - static_cast<long>(nodes) / 125);
  }
  const auto wanted = nodes * static_cast<std::size_t>(pct) / 100;
  return std::min(nodes, std::max(wanted, kMinimum));
}

Scheduler::Scheduler(Profile profile, Cluster &cluster, std::uint64_t seed, unsigned threads)
    : profile_(std::move(profile)), cluster_(cluster), pool_(threads), random_(seed) {}

// Filters nodes in chunks, in rotated order from next_start_, until enough
// feasible ones are found. Workers claim chunks in order and stop claiming
// once enough are found, so the claimed chunks form a prefix that holds the
// first `wanted` feasible nodes: the result does not depend on timing.
Scheduler::Feasible Scheduler::find_feasible(const sdk::PodSpec &pod) {
  const auto nodes = cluster_.nodes();
  const std::size_t total = nodes.size();
  const std::size_t wanted = feasible_nodes_to_find(total, profile_.percentage_of_nodes_to_score);
  const std::size_t chunks = (total + kChunk - 1) / kChunk;
  feasible_.resize(chunks * kChunk);
  feasible_count_.assign(chunks, 0);
  rejected_.resize(chunks);
  for (auto &reasons : rejected_) {
    reasons.clear();
  }
  std::atomic<std::size_t> found{0};
  std::atomic<std::size_t> next_chunk{0};
  auto work = [&](unsigned /*thread*/) {
    while (found.load(std::memory_order_relaxed) < wanted) {
      const std::size_t chunk = next_chunk.fetch_add(1);
      if (chunk >= chunks) {
        return;
      }
      const std::size_t end = std::min(total, (chunk + 1) * kChunk);
      // Counted locally and published once per chunk: a shared counter bumped
      // per node would bounce its cache line between the cores.
      std::size_t fitting = 0;
      auto *out = &feasible_[chunk * kChunk];
      for (std::size_t i = chunk * kChunk; i < end; ++i) {
        const std::size_t index = (next_start_ + i) % total;
        const sdk::NodeInfo &node = nodes[index];
        bool fits = true;
        for (auto *filter : profile_.filters) {
          auto status = filter->filter(pod, node);
          if (!status.fits()) {
            ++rejected_[chunk][status.reason];
            fits = false;
            break;
          }
        }
        if (fits) {
          out[fitting++] = index;
        }
      }
      feasible_count_[chunk] = fitting;
      found.fetch_add(fitting, std::memory_order_relaxed);
    }
  };
  if (total >= kParallelThreshold) {
    pool_.run_on_all(work);
  } else {
    work(0);
  }
  Feasible result;
  const std::size_t claimed = std::min(next_chunk.load(), chunks);
  std::size_t last_position = 0;
  result.nodes.reserve(wanted);
  // Counts stop at the chunk that completed the set, so they do not depend
  // on how far the other threads had got.
  for (std::size_t chunk = 0; chunk < claimed && result.nodes.size() < wanted; ++chunk) {
    for (const auto &[reason, count] : rejected_[chunk]) {
      result.rejected[reason] += count;
    }
    for (std::size_t k = 0; k < feasible_count_[chunk]; ++k) {
      const std::size_t index = feasible_[chunk * kChunk + k];
      if (result.nodes.size() == wanted) {
        break;
      }
      result.nodes.push_back(index);
      last_position = (index + total - next_start_) % total;
    }
  }
  // The next cycle starts after the last node this one took, as Kubernetes
  // does, so that sampling does not keep returning to the same nodes.
  if (total > 0 && !result.nodes.empty()) {
    next_start_ = (next_start_ + last_position + 1) % total;
  }
  return result;
}

std::size_t Scheduler::pick_best(const sdk::PodSpec &pod,
                                 const std::vector<std::size_t> &feasible) {
  const auto nodes = cluster_.nodes();
  std::vector<const sdk::NodeInfo *> candidates;
  candidates.reserve(feasible.size());
  for (const auto index : feasible) {
    candidates.push_back(&nodes[index]);
  }
  for (auto *plugin : profile_.pre_scores) {
    plugin->pre_score(pod, candidates);
  }
  const std::size_t count = feasible.size();
  std::vector<std::vector<sdk::NodeScore>> raw(profile_.scores.size(),
                                               std::vector<sdk::NodeScore>(count));
  std::atomic<std::size_t> next_chunk{0};
  const std::size_t chunks = (count + kChunk - 1) / kChunk;
  auto work = [&](unsigned /*thread*/) {
    for (std::size_t chunk = next_chunk.fetch_add(1); chunk < chunks;
         chunk = next_chunk.fetch_add(1)) {
      for (std::size_t i = chunk * kChunk; i < std::min(count, (chunk + 1) * kChunk); ++i) {
        for (std::size_t p = 0; p < profile_.scores.size(); ++p) {
          raw[p][i] = {feasible[i], profile_.scores[p].plugin->score(pod, *candidates[i])};
        }
      }
    }
  };
  if (count >= kParallelThreshold) {
    pool_.run_on_all(work);
  } else {
    work(0);
  }
  std::vector<std::int64_t> total(count, 0);
  for (std::size_t p = 0; p < profile_.scores.size(); ++p) {
    const auto &score = profile_.scores[p];
    if (score.normalizes) {
      score.plugin->normalize(pod, raw[p]);
    }
    for (std::size_t i = 0; i < count; ++i) {
      total[i] += std::clamp<std::int64_t>(raw[p][i].score, 0, sdk::kMaxNodeScore) * score.weight;
    }
  }
  // Reservoir sampling over the best: each tied node is equally likely, and
  // the seed makes the choice repeatable.
  std::size_t best = 0;
  std::size_t ties = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i == 0 || total[i] > total[best]) {
      best = i;
      ties = 1;
    } else if (total[i] == total[best] &&
               std::uniform_int_distribution<std::size_t>(0, ties++)(random_) == 0) {
      best = i;
    }
  }
  return feasible[best];
}

std::optional<std::string> Scheduler::reserve(const sdk::PodSpec &pod, std::size_t node) {
  const auto &target = cluster_.node(node);
  for (std::size_t i = 0; i < profile_.reservers.size(); ++i) {
    auto reserved = profile_.reservers[i]->reserve(pod, target);
    if (!reserved.ok()) {
      for (std::size_t j = i; j-- > 0;) {
        profile_.reservers[j]->unreserve(pod, target);
      }
      return reserved.error().message;
    }
  }
  return std::nullopt;
}

Placement Scheduler::schedule(const sdk::PodSpec &pod) {
  Placement placement;
  const auto total = cluster_.size();
  for (auto *plugin : profile_.pre_filters) {
    auto ready = plugin->pre_filter(pod, cluster_.nodes());
    if (!ready.ok()) {
      placement.rejected[ready.error().message] = total;
      return placement;
    }
  }
  for (auto *plugin : profile_.score_pre_filters) {
    (void)plugin->pre_filter(pod, cluster_.nodes()); // scoring state only; see Profile
  }
  auto feasible = find_feasible(pod);
  placement.rejected = std::move(feasible.rejected);
  if (feasible.nodes.empty()) {
    return placement;
  }
  const std::size_t node =
      feasible.nodes.size() == 1 ? feasible.nodes.front() : pick_best(pod, feasible.nodes);
  if (auto refused = reserve(pod, node)) {
    placement.rejected[*refused] += 1;
    return placement;
  }
  cluster_.place(pod, node);
  placement.node = node;
  return placement;
}

} // namespace berth
