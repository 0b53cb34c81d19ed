// The seccomp filter of a container's process, built with libseccomp from
// the OCI spec's linux.seccomp object (runtime-spec config-linux.md#seccomp).
//
// Behaviour follows runc where the spec leaves room:
// - a syscall this libseccomp or architecture does not know is skipped, so
//   one profile serves old and new kernels;
// - a rule with several conditions on the same argument becomes one rule
//   per condition (any may match), since libseccomp compares an argument
//   once per rule; otherwise all conditions must hold;
// - rules whose action is the default action are dropped (they change
//   nothing, and libseccomp refuses them);
// - SCMP_ACT_NOTIFY (a user-space supervisor) is not supported.
//
// The filter never sets no_new_privs itself: the spec's
// process.noNewPrivileges decides, and without it loading needs
// CAP_SYS_ADMIN.
#pragma once

#include <berth/sdk/result.hpp>

#include <linux/filter.h>

#include <vector>

#include <nlohmann/json.hpp>

namespace berth::runtime {

// Validates linux.seccomp exactly as load_seccomp would build it, without
// loading anything, so create() can refuse a bad profile before it forks.
// null or an absent object is valid: no filter. Errors are invalid_argument
// (a malformed profile) or unsupported (NOTIFY, an unknown filter flag).
sdk::Result<void> check_seccomp(const nlohmann::json &seccomp) noexcept;

// Builds the filter and installs it on the calling thread. Meant for the
// container's process just before execve, after capabilities and
// no_new_privs: everything that allocates happens before seccomp_load, and
// nothing after it does, so the filter cannot break its own clean-up. null
// installs nothing. Errors are values, never exceptions.
sdk::Result<void> load_seccomp(const nlohmann::json &seccomp) noexcept;

// A filter compiled to BPF: building one from a Docker-sized profile costs
// milliseconds, so a backend compiles once (and may cache the result) and
// the container's process only installs it.
struct SeccompProgram {
  std::vector<sock_filter> instructions; // empty: no filter
  unsigned int flags = 0;                // SECCOMP_FILTER_FLAG_*
};

sdk::Result<SeccompProgram> compile_seccomp(const nlohmann::json &seccomp) noexcept;
// Installs program on the calling thread with the seccomp(2) call; nothing
// allocates. Same permission rule as load_seccomp.
sdk::Result<void> install_seccomp(const SeccompProgram &program) noexcept;

} // namespace berth::runtime
