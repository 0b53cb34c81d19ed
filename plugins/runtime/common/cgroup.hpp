// Cgroups for both runtime backends: the native one creates and fills them,
// the OCI one only reads the ones crun or runc made (stats, OOM, processes).
//
// One Cgroup object is the same relative path ("/berth/ID") in every
// hierarchy berth uses: on a v2 host the unified one; on a v1 or hybrid host
// the memory, cpu, cpuacct and pids hierarchies, plus the (controller-less)
// unified one where it is mounted, so that CLONE_INTO_CGROUP still places the
// process atomically in one of them.
#pragma once

#include "common/device_filter.hpp"

#include <berth/sdk/result.hpp>
#include <berth/sdk/runtime.hpp>
#include <berth/sdk/unique_fd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::runtime {

// The subset of the OCI spec's linux.resources berth applies.
struct CgroupLimits {
  std::optional<std::int64_t> memory;      // bytes
  std::optional<std::int64_t> memory_swap; // memory + swap, bytes; -1 unlimited
  std::optional<std::int64_t> cpu_quota;   // microseconds per period
  std::optional<std::uint64_t> cpu_period; // microseconds
  std::optional<std::uint64_t> cpu_shares; // v1 shares (2..262144)
  std::optional<std::int64_t> pids;        // -1 or 0: unlimited
  // linux.resources.devices, in order: v1 lines where the devices
  // controller is mounted, and a device program on the unified hierarchy.
  std::vector<DeviceRule> devices;
};

// Reads linux.resources; an absent or null object means no limits.
CgroupLimits limits_from_spec(const nlohmann::json &spec);

// The cgroup path the spec asks for (linux.cgroupsPath), or "/berth/ID".
std::string cgroup_path_from_spec(const nlohmann::json &spec, const std::string &id);

// Held by whoever makes a cgroup under a shared parent ("/berth"), this
// one's create() or an OCI runtime's, until the cgroup exists: meanwhile
// another container's remove_empty_parents() leaves the parents alone, so
// they cannot vanish between the parent's mkdir and the child's. Empty when
// no hierarchy can be locked (then nothing is held, as before).
sdk::UniqueFd hold_cgroup_parents();

class Cgroup {
public:
  // Creates the directories and writes the limits; on failure nothing is left.
  static sdk::Result<Cgroup> create(const std::string &path, const CgroupLimits &limits);
  // The cgroup at path as it exists now (for a backend that did not make it).
  static Cgroup open(const std::string &path);

  // Enforces rules on the unified hierarchy with a device program.
  sdk::Result<void> attach_devices(const std::vector<DeviceRule> &rules) const;

  // The path relative to each hierarchy's root.
  [[nodiscard]] const std::string &path() const noexcept { return path_; }
  // A directory fd for clone3's CLONE_INTO_CGROUP, or -1 when there is no
  // unified hierarchy. The caller closes it.
  [[nodiscard]] int open_unified() const;
  // True when open_unified() covers every hierarchy (a pure v2 host), so
  // add() is not needed after CLONE_INTO_CGROUP.
  [[nodiscard]] bool unified_only() const noexcept;
  // Moves pid into the cgroup in every hierarchy; in the v1 ones only when
  // CLONE_INTO_CGROUP already placed it in the unified one. On v1 each move
  // waits for an RCU grace period (about 10 ms here): the one cost of a
  // start that v2 does not have.
  sdk::Result<void> add(int pid, bool in_unified_already = false) const;
  // The `tasks` file of the cgroup in every v1 hierarchy. A single-threaded
  // process that writes "0" to each moves itself without the grace period:
  // the kernel takes the global threadgroup lock only to move another
  // process or a whole thread group (cgroup_procs_write_start).
  [[nodiscard]] std::vector<std::string> v1_task_files() const;
  // Moves pid into the cgroup in the unified hierarchy alone (nothing on a
  // host without one): the rest of add() for a process that joined the v1
  // hierarchies itself through v1_task_files().
  sdk::Result<void> add_to_unified(int pid) const;

  [[nodiscard]] sdk::Result<sdk::ContainerStats> stats() const;
  // The kernel's OOM killer has killed a process in this cgroup.
  [[nodiscard]] bool oom_killed() const;
  [[nodiscard]] std::vector<int> processes() const;
  // Sends signal to every process in the cgroup.
  void signal_all(int signal) const;
  // Kills every process, waits (bounded) for them to leave, removes the
  // directories (in every hierarchy, berth's or not) and then the parents
  // they leave empty. Safe to repeat.
  sdk::Result<void> destroy() const;
  // Removes the now empty parents ("/berth") in every hierarchy, including
  // ones berth does not use but an OCI runtime filled; one in use stays.
  void remove_empty_parents() const;

private:
  explicit Cgroup(std::string path) : path_(std::move(path)) {}

  std::string path_;
};

} // namespace berth::runtime
