#include "sched/simulator.hpp"

#include "sched/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <sys/resource.h>

namespace berth {
namespace {

std::vector<sdk::NodeInfo> build_nodes(const Workload &workload) {
  std::vector<sdk::NodeInfo> nodes;
  nodes.reserve(workload.node_count());
  for (const auto &shape : workload.nodes) {
    for (std::size_t i = 0; i < shape.count; ++i) {
      sdk::NodeInfo node;
      node.name = shape.name + "-" + std::to_string(i);
      node.capacity = shape.capacity;
      for (const auto &[key, values] : shape.labels) {
        node.labels[key] = values[i % values.size()];
      }
      // Every Kubernetes node carries its name as a label; anti-affinity
      // "one per node" rules use it as their topology key.
      node.labels["kubernetes.io/hostname"] = node.name;
      node.taints = shape.taints;
      nodes.push_back(std::move(node));
    }
  }
  return nodes;
}

const char *arrival_name(Arrival arrival) {
  switch (arrival) {
  case Arrival::interleaved: return "interleaved";
  case Arrival::sequential: return "sequential";
  case Arrival::random: return "random";
  }
  return "interleaved";
}

double percentile(std::vector<double> &values, double fraction) {
  if (values.empty()) {
    return 0;
  }
  const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(rank), values.end());
  return values[rank];
}

double process_cpu_seconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::uint64_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024; // Linux reports KiB
}

std::vector<ResourceUse> utilisation(const Cluster &cluster) {
  std::map<std::string, ResourceUse> use;
  for (const char *name : {"cpu", "memory", "pods"}) {
    use[name].resource = name;
  }
  for (const auto &node : cluster.nodes()) {
    use["cpu"].allocated += node.allocated.cpu_millis;
    use["cpu"].capacity += node.capacity.cpu_millis;
    use["memory"].allocated += node.allocated.memory_bytes;
    use["memory"].capacity += node.capacity.memory_bytes;
    use["pods"].allocated += node.allocated.pods;
    use["pods"].capacity += node.capacity.pods;
    for (const auto &[name, amount] : node.capacity.extended) {
      use[name].resource = name;
      use[name].capacity += amount;
    }
    for (const auto &[name, amount] : node.allocated.extended) {
      use[name].resource = name;
      use[name].allocated += amount;
    }
  }
  std::vector<ResourceUse> out;
  out.reserve(use.size());
  for (auto &[name, value] : use) {
    out.push_back(value);
  }
  return out;
}

// Fragmentation: how many nodes could still take one more pod of the
// workload's largest shape (by cpu, then memory).
void measure_fragmentation(const Workload &workload, const Cluster &cluster,
                           SimulationReport &report) {
  const PodShape *largest = nullptr;
  for (const auto &shape : workload.pods) {
    const auto &r = shape.spec.requests;
    if (largest == nullptr ||
        std::tie(r.cpu_millis, r.memory_bytes) >
            std::tie(largest->spec.requests.cpu_millis, largest->spec.requests.memory_bytes)) {
      largest = &shape;
    }
  }
  if (largest == nullptr) {
    return;
  }
  report.largest_shape = largest->spec.name;
  for (const auto &node : cluster.nodes()) {
    report.nodes_fitting_largest +=
        sdk::missing_resource(largest->spec.requests, node).empty() ? 1 : 0;
  }
}

} // namespace

std::vector<std::uint32_t> arrival_order(const Workload &workload, std::uint64_t seed) {
  std::vector<std::uint32_t> order;
  order.reserve(workload.pod_count());
  if (workload.arrival == Arrival::interleaved) {
    // Each shape's pods spread evenly over the timeline, like streams that
    // arrive at their own steady rates.
    std::vector<std::pair<double, std::uint32_t>> slots;
    slots.reserve(workload.pod_count());
    for (std::uint32_t s = 0; s < workload.pods.size(); ++s) {
      const auto count = workload.pods[s].count;
      for (std::size_t j = 0; j < count; ++j) {
        slots.emplace_back((static_cast<double>(j) + 0.5) / static_cast<double>(count), s);
      }
    }
    std::stable_sort(slots.begin(), slots.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    for (const auto &slot : slots) {
      order.push_back(slot.second);
    }
    return order;
  }
  for (std::uint32_t s = 0; s < workload.pods.size(); ++s) {
    order.insert(order.end(), workload.pods[s].count, s);
  }
  if (workload.arrival == Arrival::random) {
    std::mt19937_64 random(seed);
    std::shuffle(order.begin(), order.end(), random);
  }
  return order;
}

SimulationReport simulate(const Workload &workload, Profile profile,
                          const SimulationOptions &options) {
  SimulationReport report;
  report.workload = workload.source;
  report.arrival = arrival_name(workload.arrival);
  report.profile = profile.name;
  Cluster cluster(build_nodes(workload));
  report.nodes = cluster.size();
  const unsigned threads =
      options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  Scheduler scheduler(std::move(profile), cluster, options.seed, threads);
  const auto order = arrival_order(workload, options.seed);
  report.pods = order.size();
  std::vector<std::size_t> next_index(workload.pods.size(), 0);
  std::vector<double> latencies;
  latencies.reserve(order.size());
  const std::size_t progress_step = std::max<std::size_t>(1, order.size() / 100);
  const double cpu_start = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  sdk::PodSpec pod;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto &shape = workload.pods[order[i]];
    pod = shape.spec;
    pod.name = shape.spec.name + "-" + std::to_string(next_index[order[i]]++);
    const auto before = std::chrono::steady_clock::now();
    auto placement = scheduler.schedule(pod);
    latencies.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - before)
            .count());
    if (placement.node) {
      ++report.placed;
    } else {
      ++report.unschedulable;
      for (const auto &[reason, count] : placement.rejected) {
        ++report.unschedulable_by_reason[reason];
      }
      if (report.example_unschedulable.empty()) {
        report.example_unschedulable = pod.name + ": " + placement.summary(cluster.size());
      }
    }
    if (options.progress && (i + 1) % progress_step == 0) {
      options.progress(i + 1, order.size());
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.cpu_seconds = process_cpu_seconds() - cpu_start;
  report.p50_us = percentile(latencies, 0.50);
  report.p99_us = percentile(latencies, 0.99);
  report.utilisation = utilisation(cluster);
  measure_fragmentation(workload, cluster, report);
  report.peak_rss_bytes = peak_rss_bytes();
  if (options.record_placements) {
    for (const auto &node : cluster.nodes()) {
      report.pods_per_node.emplace_back(node.name, node.pods.size());
    }
  }
  return report;
}

} // namespace berth
