// IsolationBackend v1: runs an OCI runtime-spec config.json from a bundle.
//
// The contract is the public OCI runtime spec rather than a berth type, so a
// backend can be native code or an external runtime binary.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::sdk::inline v1 {

enum class ContainerStatus { creating, created, running, stopped };

struct ContainerState {
  std::string id;
  ContainerStatus status = ContainerStatus::creating;
  int pid = 0;
  int exit_code = -1;
  bool oom_killed = false;
  std::string bundle;
};

struct ContainerStats {
  std::uint64_t cpu_usage_ns = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t memory_limit_bytes = 0;
  std::uint64_t pids = 0;
};

class IsolationBackend : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = IsolationBackend;
  static constexpr const char *interface_id = "berth.runtime.v1";

  // spec is the bundle's config.json (OCI runtime spec).
  virtual Result<ContainerState> create(const std::string &id, const std::string &bundle,
                                        const nlohmann::json &spec) noexcept = 0;
  virtual Result<void> start(const std::string &id) noexcept = 0;
  virtual Result<ContainerState> state(const std::string &id) noexcept = 0;
  virtual Result<void> kill(const std::string &id, int signal) noexcept = 0;
  virtual Result<void> remove(const std::string &id) noexcept = 0;
  // process is an OCI "process" object; returns the new process's pid.
  virtual Result<int> exec(const std::string &id, const nlohmann::json &process) noexcept = 0;
  virtual Result<ContainerStats> stats(const std::string &id) noexcept = 0;
  // OCI runtime "features" document.
  virtual Result<nlohmann::json> features() noexcept = 0;
  // Reattach to a container after the engine restarted.
  virtual Result<ContainerState> recover(const std::string &id) noexcept = 0;
};

template <> struct KindOf<IsolationBackend> {
  static constexpr uint32_t value = BERTH_KIND_RUNTIME;
};

} // namespace berth::sdk::inline v1
