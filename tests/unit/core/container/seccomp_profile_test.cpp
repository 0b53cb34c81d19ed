// The profiles berth hands the runtime: the built-in default and a
// Docker-format file, both as OCI linux.seccomp objects. What the kernel then
// does with them is tests/integration/plugins/runtime/seccomp_test.cpp.
#include "container/seccomp_profile.hpp"
#include "container/spec_builder.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/utsname.h>

#include <algorithm>

namespace berth::testing {
namespace {

using nlohmann::json;

// Docker's default capability set: no CAP_SYS_ADMIN, CAP_SYS_PTRACE...
const std::vector<std::string> &kDefaultCaps = default_capabilities();

std::vector<std::string> with(std::vector<std::string> caps, const std::string &extra) {
  caps.push_back(extra);
  return caps;
}

bool names(const json &rule, const std::string &syscall) {
  const auto &list = rule["names"];
  return std::find(list.begin(), list.end(), syscall) != list.end();
}

// What the profile does with syscall whatever its arguments: "ALLOW",
// "ERRNO <n>", "default" when no unconditional rule names it, or "conflict"
// when two unconditional rules disagree.
std::string unconditional_action(const json &profile, const std::string &syscall) {
  std::string found;
  for (const auto &rule : profile["syscalls"]) {
    if (!names(rule, syscall) || rule.contains("args")) {
      continue;
    }
    auto action = rule["action"].get<std::string>().substr(std::string("SCMP_ACT_").size());
    if (action == "ERRNO") {
      action += " " + std::to_string(rule.value("errnoRet", 0));
    }
    if (!found.empty() && found != action) {
      return "conflict";
    }
    found = action;
  }
  return found.empty() ? "default" : found;
}

std::vector<json> conditional_rules(const json &profile, const std::string &syscall) {
  std::vector<json> rules;
  for (const auto &rule : profile["syscalls"]) {
    if (names(rule, syscall) && rule.contains("args")) {
      rules.push_back(rule);
    }
  }
  return rules;
}

TEST(DefaultSeccompProfile, RefusesNamespacesAndMountsWithoutSysAdmin) {
  const auto profile = default_seccomp_profile(kDefaultCaps);
  for (const auto *syscall : {"mount", "umount2", "unshare", "setns", "fsopen", "move_mount"}) {
    EXPECT_EQ(unconditional_action(profile, syscall), "ERRNO 1") << syscall;
  }
  EXPECT_EQ(unconditional_action(profile, "clone3"), "ERRNO 38") << "so libc falls back to clone";
  const auto clones = conditional_rules(profile, "clone");
  ASSERT_FALSE(clones.empty());
  EXPECT_EQ(clones.front()["action"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(clones.front()["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clones.front()["args"][0]["value"], 0x7E020000U) << "every CLONE_NEW* flag";
  EXPECT_EQ(clones.front()["args"][0]["valueTwo"], 0U);
  EXPECT_EQ(clones.size(), 8U) << "one EPERM rule for each of the seven CLONE_NEW* flags";
}

TEST(DefaultSeccompProfile, SysAdminGivesBackMountUnshareAndClone) {
  const auto profile = default_seccomp_profile(with(kDefaultCaps, "CAP_SYS_ADMIN"));
  for (const auto *syscall : {"mount", "umount2", "unshare", "setns", "clone", "clone3", "bpf"}) {
    EXPECT_EQ(unconditional_action(profile, syscall), "ALLOW") << syscall;
  }
  EXPECT_TRUE(conditional_rules(profile, "clone").empty());
  // CAP_SYS_ADMIN is not a blanket exemption, as in Docker.
  EXPECT_EQ(unconditional_action(profile, "kexec_load"), "ERRNO 1");
  EXPECT_EQ(unconditional_action(profile, "pivot_root"), "ERRNO 1");
}

TEST(DefaultSeccompProfile, EachCapabilityOpensOnlyItsOwnSyscalls) {
  const std::vector<std::pair<std::string, std::string>> gates = {
      {"CAP_SYS_PTRACE", "kcmp"},         {"CAP_SYS_MODULE", "finit_module"},
      {"CAP_SYS_BOOT", "reboot"},         {"CAP_SYS_TIME", "clock_settime"},
      {"CAP_SYSLOG", "syslog"},           {"CAP_SYS_PACCT", "acct"},
      {"CAP_SYS_RAWIO", "iopl"},          {"CAP_BPF", "bpf"},
      {"CAP_PERFMON", "perf_event_open"}, {"CAP_DAC_READ_SEARCH", "open_by_handle_at"}};
  const auto plain = default_seccomp_profile(kDefaultCaps);
  for (const auto &[cap, syscall] : gates) {
    EXPECT_EQ(unconditional_action(plain, syscall), "ERRNO 1") << syscall;
    const auto opened = default_seccomp_profile(with(kDefaultCaps, cap));
    EXPECT_EQ(unconditional_action(opened, syscall), "ALLOW") << cap << " " << syscall;
    EXPECT_EQ(unconditional_action(opened, "mount"), "ERRNO 1") << cap;
  }
}

TEST(DefaultSeccompProfile, AllowsEverydaySyscallsAndNamesItsArchitectures) {
  const auto profile = default_seccomp_profile(kDefaultCaps);
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(profile["defaultErrnoRet"], ENOSYS) << "unknown syscalls look unimplemented";
  for (const auto *syscall : {"read", "openat", "execve", "futex", "getpid", "chroot"}) {
    EXPECT_EQ(unconditional_action(profile, syscall), "ALLOW") << syscall;
  }
  EXPECT_EQ(unconditional_action(profile, "keyctl"), "ERRNO 1");
  EXPECT_EQ(unconditional_action(profile, "io_uring_setup"), "ERRNO 1");
#if defined(__x86_64__)
  EXPECT_EQ(profile["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(unconditional_action(profile, "arch_prctl"), "ALLOW");
#elif defined(__aarch64__)
  EXPECT_EQ(profile["architectures"], json({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
#endif
}

TEST(DefaultSeccompProfile, PtraceIsOpenOnKernelsWhereSeccompRunsAfterTheTracer) {
  struct utsname host {};
  ASSERT_EQ(uname(&host), 0);
  int major = 0;
  int minor = 0;
  ASSERT_EQ(std::sscanf(host.release, "%d.%d", &major, &minor), 2);
  const bool safe = major > 4 || (major == 4 && minor >= 8);
  const auto profile = default_seccomp_profile(kDefaultCaps);
  EXPECT_EQ(unconditional_action(profile, "ptrace"), safe ? "ALLOW" : "ERRNO 1");
  EXPECT_EQ(unconditional_action(profile, "process_vm_readv"), safe ? "ALLOW" : "ERRNO 1");
  EXPECT_EQ(unconditional_action(profile, "kcmp"), "ERRNO 1") << "needs CAP_SYS_PTRACE anyway";
}

TEST(SeccompProfileFile, ResolvesIncludesAndExcludesForTheContainer) {
  TempDir dir("berth-seccomp");
  const auto file = dir.write("profile.json", R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
    ],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "always"},
      {"name": "getppid", "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW",
       "includes": {"caps": ["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"]}},
      {"names": ["chown"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["fchown"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_NET_ADMIN"]}},
      {"names": ["native_only"], "action": "SCMP_ACT_ALLOW",
       "includes": {"arches": ["amd64", "arm64"]}},
      {"names": ["other_arch"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
      {"names": ["future"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
      {"names": ["past"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "2.6"}},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
    ]
  })");
  auto converted = load_seccomp_profile_file(file, {"sys_admin"});
  ASSERT_TRUE(converted.ok()) << converted.error().describe();
  const json expected_syscalls = {
      {{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
      {{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}},
      {{"names", {"mount"}}, {"action", "SCMP_ACT_ALLOW"}},
      {{"names", {"fchown"}}, {"action", "SCMP_ACT_ALLOW"}},
      {{"names", {"native_only"}}, {"action", "SCMP_ACT_ALLOW"}},
      {{"names", {"personality"}},
       {"action", "SCMP_ACT_ALLOW"},
       {"args", {{{"index", 0}, {"value", 8}, {"valueTwo", 0}, {"op", "SCMP_CMP_EQ"}}}}}};
  EXPECT_EQ((*converted)["syscalls"], expected_syscalls) << (*converted)["syscalls"].dump(1);
  EXPECT_EQ((*converted)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*converted)["defaultErrnoRet"], 1);
#if defined(__x86_64__)
  EXPECT_EQ((*converted)["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
#endif

  auto without_admin = load_seccomp_profile_file(file, kDefaultCaps);
  ASSERT_TRUE(without_admin.ok());
  const auto &rules = (*without_admin)["syscalls"];
  EXPECT_TRUE(
      std::none_of(rules.begin(), rules.end(), [](const json &r) { return names(r, "mount"); }));
  EXPECT_TRUE(
      std::any_of(rules.begin(), rules.end(), [](const json &r) { return names(r, "chown"); }));
}

TEST(SeccompProfileFile, MalformedJsonIsOneLineNamingTheFileAndPosition) {
  TempDir dir("berth-seccomp");
  const auto file = dir.write("broken.json", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  }\n");
  auto loaded = load_seccomp_profile_file(file, kDefaultCaps);
  ASSERT_FALSE(loaded.ok());
  const auto text = loaded.error().describe();
  EXPECT_EQ(loaded.error().code, sdk::Errc::invalid_argument);
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text.rfind(file.string(), 0), 0U) << text;
  EXPECT_NE(text.find("line 3"), std::string::npos) << text;
  EXPECT_EQ(text.find("json.exception"), std::string::npos) << text;
}

TEST(SeccompProfileFile, UnknownActionsAndOperatorsAreRefusedWithAHint) {
  TempDir dir("berth-seccomp");
  const auto typo = dir.write("typo.json", R"({"defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALOW"}]})");
  auto loaded = load_seccomp_profile_file(typo, kDefaultCaps);
  ASSERT_FALSE(loaded.ok());
  const auto text = loaded.error().describe();
  EXPECT_EQ(text.rfind(typo.string(), 0), 0U) << text;
  EXPECT_NE(text.find("syscalls[0]: unknown action 'SCMP_ACT_ALOW'"), std::string::npos) << text;
  EXPECT_NE(text.find("SCMP_ACT_ALLOW"), std::string::npos) << text;

  const auto bad_op = dir.write("op.json", R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                  "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQUAL"}]}]})");
  loaded = load_seccomp_profile_file(bad_op, kDefaultCaps);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("unknown op 'SCMP_CMP_EQUAL'"), std::string::npos)
      << loaded.error().message;

  const auto stray_errno = dir.write("errno.json", R"({"defaultAction": "SCMP_ACT_ALLOW",
    "defaultErrnoRet": 1})");
  loaded = load_seccomp_profile_file(stray_errno, kDefaultCaps);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("defaultErrnoRet is only valid"), std::string::npos)
      << loaded.error().message;
}

TEST(SeccompProfileFile, MissingFileIsNotFound) {
  TempDir dir("berth-seccomp");
  auto loaded = load_seccomp_profile_file(dir.path() / "absent.json", kDefaultCaps);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, sdk::Errc::not_found);
  EXPECT_NE(loaded.error().describe().find("absent.json"), std::string::npos);
}

} // namespace
} // namespace berth::testing
