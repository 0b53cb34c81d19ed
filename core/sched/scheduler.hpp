// One scheduling cycle per pod: PreFilter, Filter (parallel, sampled),
// PreScore, Score and Normalize (parallel), pick the best node with ties
// broken by a seeded generator, Reserve, and place the pod.
#pragma once

#include "sched/cluster.hpp"
#include "sched/profile.hpp"
#include "sched/thread_pool.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>

namespace berth {

struct Placement {
  std::optional<std::size_t> node; // empty: unschedulable
  // Nodes rejected per reason: all of them when the pod is unschedulable,
  // else those filtered before enough nodes fit.
  std::map<std::string, std::size_t> rejected;

  // "0/5000 nodes available: 4990 insufficient memory, 10 taint not tolerated"
  [[nodiscard]] std::string summary(std::size_t total_nodes) const;
};

// How many feasible nodes a cycle looks for before it stops filtering, as
// kube-scheduler computes it: all nodes below 100, else percentage of them
// (adaptive when 0: 50% minus 1% per 125 nodes, at least 5%), at least 100.
std::size_t feasible_nodes_to_find(std::size_t nodes, int percentage);

class Scheduler {
public:
  Scheduler(Profile profile, Cluster &cluster, std::uint64_t seed, unsigned threads);

  // Finds a node for pod and places it there.
  Placement schedule(const sdk::PodSpec &pod);

private:
  struct Feasible {
    std::vector<std::size_t> nodes;
    std::map<std::string, std::size_t> rejected;
  };

  Feasible find_feasible(const sdk::PodSpec &pod);
  std::size_t pick_best(const sdk::PodSpec &pod, const std::vector<std::size_t> &feasible);
  std::optional<std::string> reserve(const sdk::PodSpec &pod, std::size_t node);

  Profile profile_;
  Cluster &cluster_;
  // Reused by every cycle so that filtering allocates nothing: chunk c's
  // feasible nodes are feasible_[c * kChunk, c * kChunk + feasible_count_[c]).
  std::vector<std::size_t> feasible_;
  std::vector<std::size_t> feasible_count_;
  std::vector<std::map<std::string, std::size_t>> rejected_;
  ThreadPool pool_;
  std::mt19937_64 random_;
  std::size_t next_start_ = 0; // rotates so that sampling visits every node
};

} // namespace berth
