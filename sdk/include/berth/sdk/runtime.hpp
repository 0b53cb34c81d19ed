// IsolationBackend v1: runs an OCI runtime-spec config.json from a bundle.
//
// The contract is the public OCI runtime spec rather than a berth type, so a
// backend can be native code or an external runtime binary (crun, runc).
//
// Who waits for whom: a container's init process (and every exec'd process)
// ends up a child of the caller or, when an intermediate process exits, of
// the nearest child subreaper among the caller's ancestors. A caller that
// wants exit statuses sets prctl(PR_SET_CHILD_SUBREAPER) first, as
// berth-shim does, and reaps with waitpid. A backend never reaps the init.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::sdk::inline v1 {

// The OCI runtime states: created (set up, user process not yet started),
// running, stopped. "creating" is reported only while create() runs.
enum class ContainerStatus { creating, created, running, stopped };

inline const char *container_status_name(ContainerStatus status) noexcept {
  switch (status) {
  case ContainerStatus::creating: return "creating";
  case ContainerStatus::created: return "created";
  case ContainerStatus::running: return "running";
  case ContainerStatus::stopped: return "stopped";
  }
  return "unknown";
}

struct ContainerState {
  std::string id;
  ContainerStatus status = ContainerStatus::creating;
  int pid = 0;             // the init process in the caller's PID namespace; 0 once stopped
  bool oom_killed = false; // the kernel's OOM killer killed a process in it
  std::string bundle;
};

struct ContainerStats {
  std::uint64_t cpu_usage_ns = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t memory_limit_bytes = 0; // 0: unlimited
  std::uint64_t pids = 0;
  std::uint64_t pids_limit = 0; // 0: unlimited
  std::vector<int> processes;   // every process in the container, host PIDs
};

// The standard streams of a container's init or an exec'd process. The
// backend duplicates what it needs; the caller keeps ownership of the fds.
struct ProcessIo {
  int stdin_fd = -1; // -1: /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Used when the process asks for a terminal ("terminal": true): the backend
  // makes a pty inside the container and sends its master over this unix
  // socket with SCM_RIGHTS (the OCI console-socket protocol); the stdio fds
  // are then ignored.
  std::string console_socket;
};

class IsolationBackend : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = IsolationBackend;
  static constexpr const char *interface_id = "berth.runtime.v1";

  // Sets the container up from spec (the bundle's config.json, OCI runtime
  // spec) and leaves its init stopped before the user's program: namespaces,
  // cgroups and mounts exist, so a network can be attached to
  // /proc/PID/ns/net now. A failure leaves nothing behind. Errors: not_found
  // for a missing executable, permission for one that cannot be executed.
  virtual Result<ContainerState> create(const std::string &id, const std::string &bundle,
                                        const nlohmann::json &spec,
                                        const ProcessIo &io) noexcept = 0;
  // Runs the user's program in a created container.
  virtual Result<void> start(const std::string &id) noexcept = 0;
  virtual Result<ContainerState> state(const std::string &id) noexcept = 0;
  // Sends signal to the init; with all, to every process in the container.
  virtual Result<void> kill(const std::string &id, int signal, bool all) noexcept = 0;
  // Kills whatever still runs and frees the container's cgroups and state.
  // Safe to repeat; not_found once nothing is left.
  virtual Result<void> remove(const std::string &id) noexcept = 0;
  // Starts process (an OCI "process" object) inside a running container and
  // returns its PID; it becomes the caller's (or subreaper's) child.
  virtual Result<int> exec(const std::string &id, const nlohmann::json &process,
                           const ProcessIo &io) noexcept = 0;
  virtual Result<ContainerStats> stats(const std::string &id) noexcept = 0;
  // The OCI runtime "features" document (runtime-spec features.md).
  virtual Result<nlohmann::json> features() noexcept = 0;
  // Reattaches to a container after the engine (or its monitor) restarted,
  // from the backend's saved state: not_found when the backend has no record.
  virtual Result<ContainerState> recover(const std::string &id) noexcept = 0;
};

template <> struct KindOf<IsolationBackend> {
  static constexpr uint32_t value = BERTH_KIND_RUNTIME;
};

} // namespace berth::sdk::inline v1
