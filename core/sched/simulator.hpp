// Places a workload's pods on its simulated nodes with a real profile and
// reports what users compare policies by: speed, latency, utilisation,
// fragmentation and why pods did not fit.
#pragma once

#include "sched/profile.hpp"
#include "sched/workload.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace berth {

struct SimulationOptions {
  std::uint64_t seed = 1;
  unsigned threads = 0; // 0: one per core
  bool record_placements = false;
  std::function<void(std::size_t placed, std::size_t total)> progress; // may be empty
};

struct ResourceUse {
  std::string resource;
  std::int64_t allocated = 0;
  std::int64_t capacity = 0;
};

struct SimulationReport {
  std::string workload;
  std::string arrival;
  std::string profile;
  std::size_t nodes = 0;
  std::size_t pods = 0;
  std::size_t placed = 0;
  std::size_t unschedulable = 0;
  double seconds = 0;
  double cpu_seconds = 0; // user + system time of the process during the run
  double p50_us = 0;
  double p99_us = 0;
  std::vector<ResourceUse> utilisation;
  std::string largest_shape;
  std::size_t nodes_fitting_largest = 0;
  std::map<std::string, std::size_t> unschedulable_by_reason; // reason -> pods it stopped
  std::string example_unschedulable;                          // one full summary line
  std::uint64_t peak_rss_bytes = 0;
  std::vector<std::pair<std::string, std::size_t>> pods_per_node; // with record_placements

  [[nodiscard]] double placements_per_second() const {
    return seconds > 0 ? static_cast<double>(placed) / seconds : 0;
  }
};

SimulationReport simulate(const Workload &workload, Profile profile,
                          const SimulationOptions &options);

// The order in which the workload's pods arrive: an index into workload.pods
// per pod.
std::vector<std::uint32_t> arrival_order(const Workload &workload, std::uint64_t seed);

} // namespace berth
