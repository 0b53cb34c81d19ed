// The engine facade: the only way front ends (the CLI today, berthd and the
// node agent later) reach stores, drivers and plugins.
#pragma once

#include "bench/bench_request.hpp"
#include "config/stack.hpp"
#include "container/container_service.hpp"
#include "host/host_facts.hpp"
#include "image/image_service.hpp"
#include "network/network_service.hpp"
#include "plugin/registry.hpp"
#include "sched/simulator.hpp"

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct EngineOptions {
  std::optional<std::filesystem::path> stack_file; // --stack
  std::optional<std::filesystem::path> root;       // --root
  std::optional<sdk::LogLevel> log_level;          // --log-level
  // berth's own plugin directories, searched after the stack's plugins.paths.
  std::vector<std::filesystem::path> builtin_plugin_dirs;
  // Where berth-shim and berth-init are (beside the berth binary).
  std::filesystem::path helper_dir;
};

// Which stack file to read: --stack, then $BERTH_STACK, then
// /etc/berth/stack.yaml; nullopt means the built-in default.
std::optional<std::filesystem::path> choose_stack_file(const EngineOptions &options);

struct SimulationRequest {
  std::optional<std::filesystem::path> workload; // none: a uniform cluster
  std::size_t nodes = 0;                         // 0: as the workload says
  std::size_t pods = 0;
  std::string profile; // empty: the stack's first profile
  SimulationOptions options;
};

class Engine;

// How much of the stack must hold for open() to succeed.
enum class StackCheck {
  full,         // structure, plugin names and options, and every scheduler
                // profile built once: for checks and for what schedules
  engine,       // as full, but scheduler profiles are built where they are
                // used: containers, images and networks need none of them
  plugins_only, // structure only; plugin problems come back as diagnostics
                // beside an engine, for commands that inspect plugins
};

struct EngineOpen {
  std::unique_ptr<Engine> engine; // null when the stack cannot be used
  Diagnostics diagnostics;
};

class Engine {
public:
  // Reads and validates the stack, finds every plugin in the search path and
  // checks the options of those the stack names. Plugins are opened when
  // first used; what was learnt of them is kept in root/plugin-index.json.
  static EngineOpen open(const EngineOptions &options, StackCheck check = StackCheck::full);

  // Facts about this machine: kernel, cgroups, overlayfs, seccomp.
  static HostFacts host_facts();
  // "1.0": the plugin ABI this berth speaks.
  static std::string plugin_abi();
  // The toolchain tag plugins must match.
  static std::string toolchain_tag();
  // Asks running operations to stop and roll back (Ctrl-C). Signal-safe.
  static void request_cancel() noexcept;

  [[nodiscard]] const Stack &stack() const noexcept { return stack_; }
  // Every plugin in the search path, each opened so that its status is
  // current (open() opens only those it needs; see PluginIndex).
  [[nodiscard]] const PluginRegistry &plugins() const;
  [[nodiscard]] const std::filesystem::path &root() const noexcept { return stack_.root; }
  [[nodiscard]] const std::vector<std::filesystem::path> &plugin_dirs() const noexcept {
    return plugin_dirs_;
  }

  // Ok when the stack configures a driver of kind; otherwise the one-line
  // error a command that needs it should print.
  [[nodiscard]] sdk::Result<void> require_section(PluginKind kind) const;

  // Markdown reference of the stack file and every plugin's options.
  [[nodiscard]] std::string stack_reference() const;

  // Runs the scheduler over a simulated cluster with one of the stack's
  // profiles. Workload file errors come back as FILE:LINE:COLUMN lines.
  [[nodiscard]] sdk::Result<SimulationReport> simulate(const SimulationRequest &request) const;

  // The plugin the stack chose for kind ("overlay2"), or "" if none.
  [[nodiscard]] std::string chosen_plugin(PluginKind kind) const;

  // Images and layers on the stack's storage driver, created on first use.
  // Fails when the stack has no storage section or the driver cannot run.
  sdk::Result<ImageService *> images();
  // Containers and volumes; needs the storage and runtime sections.
  sdk::Result<ContainerService *> containers();
  // Networks on the stack's network drivers; fails without a network section.
  sdk::Result<NetworkService *> networks();
  // The runtime backend the stack calls name ("" for its default).
  [[nodiscard]] sdk::Result<RuntimeBackendInfo> runtime_backend(const std::string &name) const;
  [[nodiscard]] sdk::Result<std::shared_ptr<sdk::IsolationBackend>>
  make_runtime(const RuntimeBackendInfo &info) const;

  // Runs a `berth bench` suite against the plugins request.subjects names
  // (every one of the suite's kind when empty) and returns the report. The
  // process moves into private mount and network namespaces first, so call
  // it before starting threads; everything happens under a scratch
  // directory that is removed, also after Ctrl-C (Errc::cancelled). A
  // subject that fails is reported as failed; the others still run.
  sdk::Result<bench::Report> bench(const bench::BenchRequest &request, const Progress &progress);

private:
  [[nodiscard]] sdk::Result<std::vector<bench::BenchSubject>>
  bench_subjects(const bench::BenchRequest &request, bench::Report &report) const;
  [[nodiscard]] sdk::Result<bench::BenchSubject> runtime_subject(const std::string &name) const;
  [[nodiscard]] sdk::Result<bench::BenchSubject> driver_subject(PluginKind kind,
                                                                const std::string &name) const;
  [[nodiscard]] std::vector<std::string> default_bench_names(PluginKind kind) const;
  [[nodiscard]] bench::Subject shown_subject(const bench::BenchSubject &subject) const;
  // Drivers made on first use (their state under root) and options checked
  // against their schemas; the caller adds the networks.
  [[nodiscard]] NetworkEnvironment network_environment(const std::filesystem::path &root) const;
  [[nodiscard]] sdk::Result<const PluginEntry *> network_plugin(const std::string &plugin) const;
  [[nodiscard]] sdk::Result<nlohmann::json> network_options(const std::string &plugin,
                                                            const nlohmann::json &options) const;
  Engine(Stack stack, PluginRegistry registry, std::vector<std::filesystem::path> dirs,
         EngineOptions options);
  sdk::Result<void> prepare_root();

  Stack stack_;
  PluginRegistry registry_;
  std::vector<std::filesystem::path> plugin_dirs_;
  EngineOptions options_;
  std::unique_ptr<ImageService> images_;
  std::unique_ptr<NetworkService> networks_;
  std::unique_ptr<ContainerService> containers_;
  bool root_ready_ = false;
};

} // namespace berth
