// The spec's device rules (linux.resources.devices) as the kernel enforces
// them: v1 devices-cgroup lines, and on the unified hierarchy a
// BPF_PROG_TYPE_CGROUP_DEVICE program, which is cgroup v2's only device
// policy (it has no devices.allow file). Without the program a container's
// root on a v2 host could mknod the host's disk and read it.
#pragma once

#include <berth/sdk/result.hpp>

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::runtime {

struct DeviceRule {
  bool allow = false;
  char type = 'a';         // 'a' (all), 'b' (block) or 'c' (char)
  std::int64_t major = -1; // -1: any
  std::int64_t minor = -1; // -1: any
  std::string access = "rwm";
};

// OCI linux.resources.devices, in order; entries that are not objects are
// skipped, as the v1 writer always did.
std::vector<DeviceRule> device_rules_from_spec(const nlohmann::json &rules);

// One rule as a v1 write: ("devices.deny", "a") or ("devices.allow", "c 1:3 rwm").
std::pair<std::string, std::string> v1_device_line(const DeviceRule &rule);

// The program the kernel runs on each device access (mknod, open for read
// or write). The last rule that matches decides, as successive v1 writes
// do; a request no rule matches is allowed, as in a fresh v1 cgroup. An
// allow rule matches when it grants every access asked for, a deny rule
// when it refuses any of them.
std::vector<bpf_insn> device_program(const std::vector<DeviceRule> &rules);

// Loads device_program(rules) and attaches it to the cgroup2 directory
// open as cgroup_dir (BPF_F_ALLOW_MULTI, so an ancestor's programs still
// apply). The attachment lasts as long as the cgroup.
sdk::Result<void> attach_device_program(int cgroup_dir, const std::vector<DeviceRule> &rules);

} // namespace berth::runtime
