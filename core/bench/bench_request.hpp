// What `berth bench` is asked to do, and what every suite gets to do it.
#pragma once

#include "bench/bench_report.hpp"
#include "image/image_service.hpp"
#include "network/network_service.hpp"
#include "plugin/registry.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::bench {

struct BenchRequest {
  std::string suite;                 // "storage", "network" or "runtime"
  std::vector<std::string> subjects; // --drivers / --backends; empty: every one
  int repeat = 5;
  std::string image;           // storage: --image REF of the user's engine; "" generated
  std::uint64_t size_mib = 64; // storage: the large file and sequential I/O
  int files = 1000;            // storage: small files of the metadata workload
  int containers = 10;         // storage: disk usage; runtime: started at once
  double duration = 2;         // network: seconds of traffic per run
  std::filesystem::path scratch_parent = "/var/tmp"; // --scratch
  std::string berth_version;
  // runtime: the berth command, for the whole-command figure; empty: none.
  std::filesystem::path cli;
};

// A plugin to measure as the report will name it, with its options
// validated and defaults filled in.
struct BenchSubject {
  std::string name;   // the label as given: "vfs", "crun", "bridge:mtu=9000"
  std::string plugin; // the plugin that implements it
  nlohmann::json options = nlohmann::json::object();
  std::string key; // unique in the run and safe in paths and container ids: "2-bridge"
};

// What a suite runs with. The suite adds its workloads and measurements to
// report; a subject that fails is marked failed there and the suite goes on.
struct SuiteRun {
  const PluginRegistry &registry;
  const BenchRequest &request;
  std::filesystem::path scratch;       // this run's own directory, removed afterwards
  std::filesystem::path image_archive; // storage: the OCI archive of the image to use
  Progress progress;                   // may be empty
  // network: the engine's drivers and option checks, state under root.
  std::function<NetworkEnvironment(const std::filesystem::path &root)> network_environment;
  Report &report;
};

} // namespace berth::bench
