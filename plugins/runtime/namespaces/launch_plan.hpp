// An OCI runtime spec turned into plain data before any fork, so that a bad
// spec is an error from create() with a JSON path, not a child that dies
// half way through setting up a container.
#pragma once

#include "common/seccomp.hpp"

#include <berth/sdk/result.hpp>

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::runtime {

struct MountPlan {
  std::string source;
  std::string target; // inside the container
  std::string type;
  std::string data; // filesystem options the kernel parses (mode=755, size=64m)
  unsigned long flags = 0;
  unsigned long propagation = 0; // MS_PRIVATE, MS_SLAVE, ... or 0
  bool bind = false;
  bool recursive = false;
};

struct DevicePlan {
  std::string path;
  mode_t type = 0; // S_IFCHR or S_IFBLK
  unsigned major = 0;
  unsigned minor = 0;
  mode_t mode = 0666;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct RlimitPlan {
  int resource = 0;
  unsigned long long soft = 0;
  unsigned long long hard = 0;
};

struct CapabilityPlan {
  std::vector<int> bounding;
  std::vector<int> effective;
  std::vector<int> permitted;
  std::vector<int> inheritable;
  std::vector<int> ambient;
};

struct ProcessPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  CapabilityPlan capabilities;
  bool set_capabilities = false; // the spec names them (all empty means none at all)
  std::vector<RlimitPlan> rlimits;
  bool no_new_privileges = false;
  bool terminal = false;
  std::optional<int> oom_score_adj;
  nlohmann::json seccomp;         // linux.seccomp, or null for none
  SeccompProgram seccomp_program; // compiled by the backend before the fork
};

struct InitPlan {
  std::string rootfs; // absolute, on the host
  bool readonly_root = false;
  std::string hostname;
  int clone_flags = 0;                           // namespaces to create
  std::vector<std::pair<int, std::string>> join; // (CLONE_NEW*, path) to setns into
  bool new_cgroup_namespace = false;             // unshared once in the cgroup
  std::vector<std::string> cgroup_tasks;         // v1 `tasks` files the init moves itself into
  unsigned long root_propagation = 0;
  std::vector<MountPlan> mounts;
  std::vector<DevicePlan> devices;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::vector<std::pair<std::string, std::string>> sysctl;
  ProcessPlan process;
};

// bundle resolves a relative root.path.
sdk::Result<InitPlan> make_init_plan(const nlohmann::json &spec, const std::string &bundle);
// An exec'd process: the same checks, without the container-wide parts.
sdk::Result<ProcessPlan> make_process_plan(const nlohmann::json &process);
// Splits OCI mount options into mount(2) flags and the data string.
void parse_mount_options(const std::vector<std::string> &options, MountPlan &mount);

} // namespace berth::runtime
