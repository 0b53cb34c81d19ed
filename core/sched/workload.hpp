// A simulated cluster and the pods that arrive at it, read from YAML
// (examples/workloads/*.yaml).
#pragma once

#include "config/diagnostic.hpp"

#include <berth/sdk/scheduler.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct NodeShape {
  std::string name;
  std::size_t count = 0;
  sdk::Resources capacity;
  // Each node takes the (i mod n)-th value of each label's list, so a list
  // of zones spreads the shape's nodes across them.
  std::map<std::string, std::vector<std::string>> labels;
  std::vector<sdk::Taint> taints;
};

struct PodShape {
  std::size_t count = 0;
  sdk::PodSpec spec; // spec.name is the shape's name
};

enum class Arrival { interleaved, sequential, random };

struct Workload {
  std::string source;
  Arrival arrival = Arrival::interleaved;
  std::vector<NodeShape> nodes;
  std::vector<PodShape> pods;

  [[nodiscard]] std::size_t node_count() const;
  [[nodiscard]] std::size_t pod_count() const;
};

struct WorkloadLoad {
  std::optional<Workload> workload;
  Diagnostics diagnostics;
};

WorkloadLoad read_workload_file(const std::filesystem::path &file);
WorkloadLoad parse_workload(const std::string &text, const std::string &source);

// Without a file: `nodes` identical nodes (16 cores, 64Gi, 110 pods, three
// zones) and `pods` identical pods (500m, 1Gi).
Workload uniform_workload(std::size_t nodes, std::size_t pods);

// Scales the shapes' counts so that they add up to nodes / pods (0: keep),
// keeping their proportions.
void resize_workload(Workload &workload, std::size_t nodes, std::size_t pods);

} // namespace berth
