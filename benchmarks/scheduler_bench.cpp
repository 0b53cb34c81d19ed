// Placement speed of the default profile (resources-fit, node-affinity,
// taints; spread) with the real plugin libraries, at 500, 5,000 and 15,000
// nodes. items_per_second is placements per second.
#include "config/stack.hpp"
#include "plugin/registry.hpp"
#include "sched/scheduler.hpp"
#include "sched/workload.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <thread>

namespace {

struct DefaultProfile {
  berth::PluginRegistry registry;
  berth::SchedulerProfile config;
};

DefaultProfile &default_profile() {
  static DefaultProfile loaded = [] {
    DefaultProfile p;
    p.registry.load_directory(BERTH_PLUGIN_DIR);
    auto stack = berth::read_stack_file(BERTH_SOURCE_STACK);
    if (!stack.stack || !berth::resolve_stack(*stack.stack, p.registry).empty()) {
      throw std::runtime_error("cannot load " BERTH_SOURCE_STACK);
    }
    p.config = stack.stack->scheduler->profiles.front();
    return p;
  }();
  return loaded;
}

std::vector<berth::sdk::NodeInfo> uniform_nodes(std::size_t count) {
  std::vector<berth::sdk::NodeInfo> nodes(count);
  for (std::size_t i = 0; i < count; ++i) {
    nodes[i].name = "node-" + std::to_string(i);
    nodes[i].capacity = {16000, 64LL << 30, 110, {}};
    nodes[i].labels = {{"zone", "zone-" + std::to_string(i % 3)}};
  }
  return nodes;
}

void BM_ScheduleDefaultProfile(benchmark::State &state) {
  const auto nodes = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  auto &loaded = default_profile();
  std::filesystem::path root = std::filesystem::temp_directory_path() / "berth-bench";
  berth::sdk::PodSpec pod;
  pod.name = "web";
  pod.requests = {500, 1LL << 30, 0, {}};
  pod.labels = {{"app", "web"}};
  // Refill well before nodes run out, so every cycle finds room.
  const std::size_t refill_after = nodes * 10;
  auto cluster = std::make_unique<berth::Cluster>(uniform_nodes(nodes));
  auto make_scheduler = [&] {
    auto profile = berth::build_profile(loaded.config, "default.yaml", loaded.registry, root);
    return std::make_unique<berth::Scheduler>(std::move(profile).value(), *cluster, 1, threads);
  };
  auto scheduler = make_scheduler();
  std::size_t placed = 0;
  for (auto _ : state) {
    if (placed == refill_after) {
      state.PauseTiming();
      scheduler.reset();
      cluster = std::make_unique<berth::Cluster>(uniform_nodes(nodes));
      scheduler = make_scheduler();
      placed = 0;
      state.ResumeTiming();
    }
    auto placement = scheduler->schedule(pod);
    benchmark::DoNotOptimize(placement);
    ++placed;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScheduleDefaultProfile)
    ->ArgNames({"nodes", "threads"})
    ->Args({500, 1})
    ->Args({500, 2})
    ->Args({5000, 1})
    ->Args({5000, 2})
    ->Args({15000, 1})
    ->Args({15000, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

} // namespace
