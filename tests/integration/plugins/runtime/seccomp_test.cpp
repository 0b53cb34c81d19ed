// What the kernel does once install_seccomp has installed a compiled profile: each test
// forks a child that sets no_new_privs, loads the filter and probes syscalls,
// reporting the first surprise through its exit code (the child must not
// touch gtest, and after the filter only raw syscalls are safe).
#include "common/seccomp.hpp"
#include "container/seccomp_profile.hpp"
#include "container/spec_builder.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <functional>

#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> &kDefaultCaps = default_capabilities();

constexpr int kLoadFailed = 100;

// A child's probe: 0 when every expectation held, else the number of the
// first one that did not.
using Probe = std::function<int()>;

// The exit status of a child that loaded seccomp and ran probe.
// Compiled in the parent and installed in the child, as the namespaces
// backend does.
int run_confined(const json &seccomp, const Probe &probe) {
  const auto program = runtime::compile_seccomp(seccomp);
  const pid_t child = fork();
  if (child == 0) {
    const rlimit no_core{0, 0}; // SIGSYS would dump core
    setrlimit(RLIMIT_CORE, &no_core);
    if (!program.ok() || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        !runtime::install_seccomp(*program).ok()) {
      _exit(kLoadFailed);
    }
    _exit(probe());
  }
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}

// -1 with errno err, as a syscall refused by the filter returns.
bool fails_with(long result, int err) {
  return result == -1 && errno == err;
}

// A raw clone that returns in the child like fork; the child leaves at once.
long clone_with(unsigned long flags) {
  const long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    syscall(SYS_exit_group, 0);
  }
  if (pid > 0) {
    syscall(SYS_wait4, pid, nullptr, 0, nullptr);
  }
  return pid;
}

int probe_default_profile() {
  if (!fails_with(unshare(CLONE_NEWUTS), EPERM))
    return 1;
  if (syscall(SYS_getpid) <= 0)
    return 2;
  if (!fails_with(syscall(SYS_clone3, nullptr, 0), ENOSYS))
    return 3;
  // Unfiltered, this mount would fail with ENOENT, changing nothing.
  if (!fails_with(mount("none", "/berth-no-such-dir", "tmpfs", 0, nullptr), EPERM))
    return 4;
  if (!fails_with(clone_with(CLONE_NEWNET), EPERM))
    return 5;
  if (clone_with(0) <= 0)
    return 6; // fork without namespaces still works
  if (!fails_with(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM))
    return 7;
  if (socket(AF_UNIX, SOCK_STREAM, 0) < 0)
    return 8;
  if (!fails_with(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM))
    return 9;
  return 0;
}

TEST(SeccompFilter, DefaultProfileRefusesNamespacesButRunsOrdinaryCode) {
  // As root the test could unshare, mount and clone namespaces: only the
  // filter stands in the way.
  const int status = run_confined(default_seccomp_profile(kDefaultCaps), probe_default_profile);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "probe " << WEXITSTATUS(status)
      << " failed (1 unshare, 2 getpid, 3 clone3, 4 mount, 5 clone namespace, 6 fork, "
         "7 AF_VSOCK, 8 AF_UNIX, 9 keyctl; 100 load)";
}

TEST(SeccompFilter, SysAdminProfileLetsTheChildUnshare) {
  ASSERT_EQ(geteuid(), 0U) << "needs root to unshare a UTS namespace";
  const auto profile = default_seccomp_profile({"CAP_SYS_ADMIN"});
  const int status = run_confined(profile, [] {
    if (unshare(CLONE_NEWUTS) != 0)
      return 1;
    if (clone_with(CLONE_NEWUTS) <= 0)
      return 2;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1 unshare, 2 clone namespace; 100 load";
}

json allow(const std::vector<std::string> &names) {
  return {{"names", names}, {"action", "SCMP_ACT_ALLOW"}};
}

// A deny-by-default allowlist: what the child's own code and exit need,
// plus arguments filtered three ways.
json custom_allowlist() {
  json syscalls = json::array();
  syscalls.push_back(allow({"exit", "exit_group", "brk", "mmap", "munmap", "madvise",
                            "rt_sigreturn", "getpid", "no_such_syscall"}));
  json getpriority = allow({"getpriority"});
  getpriority["args"] = {{{"index", 0}, {"value", PRIO_PROCESS}, {"op", "SCMP_CMP_EQ"}}};
  syscalls.push_back(getpriority);
  // Two conditions on one argument: either may match.
  json dup = allow({"dup"});
  dup["args"] = {{{"index", 0}, {"value", 0}, {"op", "SCMP_CMP_EQ"}},
                 {{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}};
  syscalls.push_back(dup);
  json getuid = {{"names", {"getuid"}}, {"action", "SCMP_ACT_KILL_PROCESS"}};
  syscalls.push_back(getuid);
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", EACCES},
          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
          {"syscalls", syscalls}};
}

json native_only(json profile) {
#if !defined(__x86_64__)
  profile.erase("architectures");
#endif
  return profile;
}

TEST(SeccompFilter, CustomAllowlistRefusesEverythingElseWithItsErrno) {
  const auto profile = native_only(custom_allowlist());
  ASSERT_TRUE(runtime::compile_seccomp(profile).ok())
      << runtime::compile_seccomp(profile).error().describe();
  const int status = run_confined(profile, [] {
    if (syscall(SYS_getpid) <= 0)
      return 1;
    if (!fails_with(syscall(SYS_getppid), EACCES))
      return 2;
    errno = 0;
    if (syscall(SYS_getpriority, PRIO_PROCESS, 0) == -1 && errno != 0)
      return 3;
    if (!fails_with(syscall(SYS_getpriority, PRIO_PGRP, 0), EACCES))
      return 4;
    if (syscall(SYS_dup, 0) < 0 || syscall(SYS_dup, 1) < 0)
      return 5;
    if (!fails_with(syscall(SYS_dup, 2), EACCES))
      return 6;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "probe " << WEXITSTATUS(status)
      << " failed (1 getpid, 2 getppid, 3/4 getpriority args, 5/6 dup args; 100 load)";
}

TEST(SeccompFilter, KillProcessActionEndsTheChildWithSigsys) {
  const int status = run_confined(native_only(custom_allowlist()), [] {
    syscall(SYS_getuid);
    return 1;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(SeccompFilter, CheckRejectsWhatCannotBeLoaded) {
  auto profile = custom_allowlist();
  profile["syscalls"][0]["action"] = "SCMP_ACT_NOTIFY";
  auto checked = runtime::compile_seccomp(profile);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, sdk::Errc::unsupported);
  EXPECT_NE(checked.error().describe().find("syscalls[0]: SCMP_ACT_NOTIFY"), std::string::npos)
      << checked.error().describe();

  profile = custom_allowlist();
  profile["syscalls"][1]["args"][0]["op"] = "SCMP_CMP_SOMETIMES";
  checked = runtime::compile_seccomp(profile);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, sdk::Errc::invalid_argument);
  EXPECT_NE(checked.error().message.find("syscalls[1].args[0]: unknown op"), std::string::npos)
      << checked.error().message;

  profile = custom_allowlist();
  profile["architectures"] = {"SCMP_ARCH_VAX"};
  checked = runtime::compile_seccomp(profile);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("unknown architecture"), std::string::npos);

  EXPECT_TRUE(runtime::compile_seccomp(default_seccomp_profile(kDefaultCaps)).ok());
  EXPECT_TRUE(runtime::compile_seccomp(json()).ok()) << "no linux.seccomp: no filter";
}

} // namespace
} // namespace berth::testing
