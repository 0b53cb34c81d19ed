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

// A filter compiled to BPF: building one from a Docker-sized profile costs
// milliseconds, so a backend compiles once (and may cache the result) and
// the container's process only installs it.
struct SeccompProgram {
  std::vector<sock_filter> instructions; // empty: no filter
  unsigned int flags = 0;                // SECCOMP_FILTER_FLAG_*
};

// Compiles linux.seccomp; null or an absent object compiles to no filter.
// Errors are invalid_argument (a malformed profile) or unsupported (NOTIFY,
// an unknown filter flag), so create() can refuse a bad profile before it
// forks.
sdk::Result<SeccompProgram> compile_seccomp(const nlohmann::json &seccomp) noexcept;
// Installs program on the calling thread with seccomp(2), allocating
// nothing: meant for the container's process just before execve. Loading
// needs no_new_privs or CAP_SYS_ADMIN; the spec's process.noNewPrivileges
// decides which, this never sets it.
sdk::Result<void> install_seccomp(const SeccompProgram &program) noexcept;

} // namespace berth::runtime
