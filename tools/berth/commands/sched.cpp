#include "cli.hpp"
#include "output.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

#include <unistd.h>

namespace berth::cli {
namespace {

std::string fixed(double value, int decimals) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), "%.*f", decimals, value);
  return text.data();
}

nlohmann::json report_json(const SimulationReport &report) {
  nlohmann::json utilisation = nlohmann::json::object();
  for (const auto &use : report.utilisation) {
    utilisation[use.resource] = {
        {"allocated", use.allocated},
        {"capacity", use.capacity},
        {"fraction", use.capacity > 0
                         ? static_cast<double>(use.allocated) / static_cast<double>(use.capacity)
                         : 0.0}};
  }
  nlohmann::json out = {
      {"workload", report.workload},
      {"arrival", report.arrival},
      {"profile", report.profile},
      {"nodes", report.nodes},
      {"pods", report.pods},
      {"placed", report.placed},
      {"unschedulable", report.unschedulable},
      {"seconds", report.seconds},
      {"cpuSeconds", report.cpu_seconds},
      {"placementsPerSecond", report.placements_per_second()},
      {"latencyMicroseconds", {{"p50", report.p50_us}, {"p99", report.p99_us}}},
      {"utilisation", utilisation},
      {"fragmentation",
       {{"largestShape", report.largest_shape}, {"nodesThatFitIt", report.nodes_fitting_largest}}},
      {"unschedulableByReason", report.unschedulable_by_reason},
      {"peakRssBytes", report.peak_rss_bytes},
  };
  if (!report.example_unschedulable.empty()) {
    out["exampleUnschedulable"] = report.example_unschedulable;
  }
  if (!report.pods_per_node.empty()) {
    nlohmann::json nodes = nlohmann::json::object();
    for (const auto &[name, pods] : report.pods_per_node) {
      nodes[name] = pods;
    }
    out["podsPerNode"] = nodes;
  }
  return out;
}

void print_report(const SimulationReport &report) {
  std::cout << "Workload:        " << report.workload << " (" << report.arrival << " arrival)\n"
            << "Profile:         " << report.profile << "\n"
            << "Nodes:           " << report.nodes << "\n"
            << "Pods:            " << report.placed << " placed, " << report.unschedulable
            << " unschedulable\n"
            << "Throughput:      " << fixed(report.placements_per_second(), 0) << " placements/s ("
            << fixed(report.seconds, 3) << " s wall, " << fixed(report.cpu_seconds, 3)
            << " s cpu)\n"
            << "Latency:         p50 " << fixed(report.p50_us, 1) << " us, p99 "
            << fixed(report.p99_us, 1) << " us\n"
            << "Utilisation:    ";
  for (const auto &use : report.utilisation) {
    const double share = use.capacity > 0 ? 100.0 * static_cast<double>(use.allocated) /
                                                static_cast<double>(use.capacity)
                                          : 0.0;
    std::cout << " " << use.resource << " " << fixed(share, 1) << "%";
  }
  std::cout << "\nFragmentation:   " << report.nodes_fitting_largest << "/" << report.nodes
            << " nodes can still fit the largest pod shape (" << report.largest_shape << ")\n"
            << "Peak memory:     " << human_bytes(report.peak_rss_bytes) << "\n";
  if (report.unschedulable == 0) {
    return;
  }
  std::cout << "Unschedulable pods by reason:\n";
  for (const auto &[reason, pods] : report.unschedulable_by_reason) {
    std::cout << "  " << pods << " pods: " << reason << "\n";
  }
  std::cout << "  e.g. " << report.example_unschedulable << "\n";
}

int run_simulate(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Simulate options");
  options.add_options() //
      ("nodes", po::value<std::size_t>()->value_name("N"),
       "number of nodes (scales the " //
       "workload's node shapes)")     //
      ("pods", po::value<std::size_t>()->value_name("M"),
       "number of pods (scales the "                                               //
       "workload's pod shapes)")                                                   //
      ("profile", po::value<std::string>()->value_name("NAME"),                    //
       "scheduler profile from the stack (default: its first)")                    //
      ("workload", po::value<std::string>()->value_name("FILE"),                   //
       "workload YAML (see examples/workloads/); default: uniform nodes and pods") //
      ("seed", po::value<std::uint64_t>()->default_value(1),
       "seed for ties and random arrival")("threads", po::value<unsigned>()->value_name("N"),
                                           "threads that filter and score (default: one per core)")(
          "placements", "include pods per node in JSON output");
  add_format_option(options);
  auto parsed = parse_command(
      context, args, "sched simulate [OPTIONS]",
      "Place a simulated workload with a scheduler profile from the stack and report "
      "placements per second, latency, utilisation, fragmentation and unschedulable pods.",
      options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto &vm = parsed.vm;
  const auto format = format_option(vm);
  SimulationRequest request;
  if (vm.count("workload") != 0U) {
    request.workload = vm["workload"].as<std::string>();
  }
  request.nodes = vm.count("nodes") != 0U ? vm["nodes"].as<std::size_t>() : 0;
  request.pods = vm.count("pods") != 0U ? vm["pods"].as<std::size_t>() : 0;
  if (vm.count("nodes") != 0U && request.nodes == 0) {
    throw UsageError("--nodes must be at least 1");
  }
  if (vm.count("pods") != 0U && request.pods == 0) {
    throw UsageError("--pods must be at least 1");
  }
  request.profile = vm.count("profile") != 0U ? vm["profile"].as<std::string>() : "";
  request.options.seed = vm["seed"].as<std::uint64_t>();
  request.options.record_placements = vm.count("placements") != 0U;
  request.options.threads = vm.count("threads") != 0U ? vm["threads"].as<unsigned>() : 0;
  if (isatty(STDERR_FILENO) != 0) {
    request.options.progress = [](std::size_t placed, std::size_t total) {
      std::cerr << "\rscheduling: " << placed * 100 / total << "% (" << placed << "/" << total
                << " pods)" << (placed == total ? "\n" : "") << std::flush;
    };
  }
  const auto engine = context.open_engine(StackCheck::full);
  auto report = engine->simulate(request);
  if (!report.ok()) {
    throw CommandError(report.error().code == sdk::Errc::invalid_argument
                           ? report.error().describe()
                           : "berth sched simulate: " + report.error().describe());
  }
  if (format == Format::json) {
    print_json(std::cout, report_json(*report));
  } else {
    print_report(*report);
  }
  return kExitOk;
}

int run_sched(Context &context, const std::vector<std::string> &args) {
  return run_group(context, args, "sched", "Work with the scheduler.",
                   {{"simulate", "Place a simulated workload and report", run_simulate}});
}

} // namespace

Command sched_command() {
  return {"sched", "Simulate scheduling on a virtual cluster", run_sched};
}

} // namespace berth::cli
