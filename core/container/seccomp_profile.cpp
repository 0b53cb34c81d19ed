#include "container/seccomp_profile.hpp"

#include "util/text.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace berth {
namespace {

using nlohmann::json;
using Names = std::vector<std::string_view>;

// ---------------------------------------------------------------------------
// The built-in profile.
//
// It follows Docker's: an allowlist; what Docker withholds is refused with
// EPERM, and some of that is given back by capability (CAP_SYS_ADMIN: mount,
// unshare, setns, ...). It is written as a Docker-format profile and goes
// through the same conversion as a user's file, so both honour includes and
// excludes the same way.
//
// One deliberate difference: a syscall the profile does not name at all gets
// ENOSYS rather than Docker's EPERM. libseccomp can only name the syscalls of
// its own release, so an allowlist cannot cover newer ones, and a libc trying
// one (fchmodat2, futex_wake, mseal...) falls back to an older call on ENOSYS
// but gives up on EPERM. runc stubs ENOSYS for the same reason. Everything
// Docker refuses on purpose is named below and still gets EPERM, so only the
// unknown looks as if the kernel lacked it.
// ---------------------------------------------------------------------------

constexpr unsigned kEperm = EPERM;
constexpr unsigned kEnosys = ENOSYS;

// Syscalls any container may make: Docker's allowlist by topic, plus the
// harmless ones added to Linux since (libseccomp skips names it lacks).
// io_uring_* are not here: Docker 25 dropped them for their record of
// kernel bugs, and programs fall back to read/write or epoll.
const Names &always_allowed() {
  static const Names names = {
      // processes and scheduling
      "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "vfork", "getpid",
      "getppid", "gettid", "getpgid", "getpgrp", "getsid", "setsid", "setpgid", "getpriority",
      "setpriority", "get_robust_list", "set_robust_list", "set_tid_address", "get_thread_area",
      "set_thread_area", "prctl", "rseq", "seccomp", "restart_syscall", "kill", "tkill", "tgkill",
      "wait4", "waitid", "waitpid", "pidfd_open", "pidfd_send_signal", "process_mrelease",
      "membarrier", "sched_getaffinity", "sched_getattr", "sched_getparam",
      "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
      "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
      "sched_setparam", "sched_setscheduler", "sched_yield", "getcpu", "ioprio_get", "ioprio_set",
      "uretprobe",
      // credentials (the kernel checks CAP_SETUID/CAP_SETGID itself)
      "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
      "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32", "setuid",
      "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
      "setresuid", "setresuid32", "setresgid", "setresgid32", "setgroups", "setgroups32",
      "setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
      // signals
      "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
      "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
      "sigaltstack", "sigprocmask", "sigreturn", "signalfd", "signalfd4", "pause", "alarm",
      // memory
      "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "mlock",
      "mlock2", "mlockall", "munlock", "munlockall", "msync", "remap_file_pages", "memfd_create",
      "memfd_secret", "pkey_alloc", "pkey_free", "pkey_mprotect", "map_shadow_stack", "mseal",
      // files and directories
      "access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "chmod", "fchmod",
      "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown",
      "lchown32", "creat", "open", "openat", "openat2", "close", "close_range", "dup", "dup2",
      "dup3", "fcntl", "fcntl64", "flock", "fsync", "fdatasync", "sync", "syncfs",
      "sync_file_range", "fallocate", "fadvise64", "fadvise64_64", "readahead", "truncate",
      "truncate64", "ftruncate", "ftruncate64", "link", "linkat", "symlink", "symlinkat", "unlink",
      "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "mknod", "mknodat",
      "rmdir", "readlink", "readlinkat", "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64",
      "fstatat64", "newfstatat", "statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "getdents",
      "getdents64", "lseek", "_llseek", "umask", "utime", "utimes", "utimensat", "utimensat_time64",
      "futimesat", "cachestat", "name_to_handle_at", "getxattr", "lgetxattr", "fgetxattr",
      "getxattrat", "setxattr", "lsetxattr", "fsetxattr", "setxattrat", "listxattr", "llistxattr",
      "flistxattr", "listxattrat", "removexattr", "lremovexattr", "fremovexattr", "removexattrat",
      "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "fanotify_mark",
      // reading and writing
      "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev",
      "pwritev2", "ioctl", "copy_file_range", "sendfile", "sendfile64", "splice", "tee", "vmsplice",
      "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
      "io_pgetevents_time64",
      // waiting for events
      "poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64",
      "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait", "epoll_wait_old",
      "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "pipe", "pipe2", "futex",
      "futex_time64", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
      // time (adjtimex only reads the clock without CAP_SYS_TIME)
      "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
      "clock_nanosleep_time64", "nanosleep", "gettimeofday", "time", "times", "getitimer",
      "setitimer", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
      "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
      "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "adjtimex", "clock_adjtime",
      "clock_adjtime64",
      // limits and system information
      "getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getrusage", "sysinfo", "uname",
      "getrandom",
      // sockets (socket itself is below: AF_VSOCK reaches the host)
      "socketpair", "socketcall", "bind", "connect", "listen", "accept", "accept4", "getsockname",
      "getpeername", "getsockopt", "setsockopt", "send", "sendto", "sendmsg", "sendmmsg", "recv",
      "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown",
      // System V and POSIX IPC (namespaced)
      "ipc", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop",
      "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget", "mq_getsetattr", "mq_notify",
      "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
      "mq_unlink",
      // unprivileged self-sandboxing
      "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lsm_get_self_attr",
      "lsm_list_modules"};
  return names;
}

// Syscalls no container gets from this profile, whatever it holds: they
// reach state the container does not own (the host's kernel image, swap,
// keyrings, modules by old interfaces) or are obsolete attack surface.
// --security-opt seccomp=unconfined is the way to have them.
const Names &never_allowed() {
  static const Names names = {
      "pivot_root",  "kexec_load",     "kexec_file_load",   "swapon",
      "swapoff",     "keyctl",         "add_key",           "request_key",
      "userfaultfd", "io_uring_setup", "io_uring_enter",    "io_uring_register",
      "move_pages",  "migrate_pages",  "lsm_set_self_attr", "uselib",
      "ustat",       "sysfs",          "_sysctl",           "vm86",
      "vm86old",     "create_module",  "get_kernel_syms",   "query_module",
      "nfsservctl"};
  return names;
}

// What a capability gives back, as in Docker; the kernel still checks the
// capability itself, seccomp only stops refusing. clone and clone3 are apart
// (namespace_creation_rules) because without CAP_SYS_ADMIN they stay open
// for threads and processes.
struct CapabilityGate {
  std::string_view capability;
  Names syscalls;
};

const std::vector<CapabilityGate> &capability_gates() {
  static const std::vector<CapabilityGate> gates = {
      {"CAP_SYS_ADMIN",
       {"mount",           "umount",        "umount2",       "unshare",        "setns",
        "fsopen",          "fsconfig",      "fsmount",       "fspick",         "open_tree",
        "open_tree_attr",  "move_mount",    "mount_setattr", "quotactl",       "quotactl_fd",
        "sethostname",     "setdomainname", "fanotify_init", "lookup_dcookie", "bpf",
        "perf_event_open", "syslog"}},
      {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
      {"CAP_SYS_BOOT", {"reboot"}},
      {"CAP_SYS_CHROOT", {"chroot"}},
      {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
      {"CAP_SYS_PACCT", {"acct"}},
      {"CAP_SYS_PTRACE",
       {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        "process_madvise"}},
      {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
      {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
      {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
      {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
      {"CAP_SYSLOG", {"syslog"}},
      {"CAP_BPF", {"bpf"}},
      {"CAP_PERFMON", {"perf_event_open"}},
  };
  return gates;
}

// ptrace and process_vm_* are open from Linux 4.8 without CAP_SYS_PTRACE,
// as in Docker: 4.8 moved the seccomp check after the tracer's turn, so a
// traced process can no longer be made to run a syscall the filter refused.
// The kernel's own ptrace checks (same user, YAMA) still apply.
constexpr std::string_view kPtraceSafeKernel = "4.8";
const Names &ptrace_calls() {
  static const Names names = {"ptrace", "process_vm_readv", "process_vm_writev"};
  return names;
}

json rule(const Names &names, std::string_view action) {
  json entry = {{"names", json::array()}, {"action", action}};
  for (const auto name : names) {
    entry["names"].push_back(name);
  }
  return entry;
}

json refuse(const Names &names, unsigned err) {
  json entry = rule(names, "SCMP_ACT_ERRNO");
  entry["errnoRet"] = err;
  return entry;
}

json arg(unsigned index, std::uint64_t value, std::string_view op, std::uint64_t value_two = 0) {
  return {{"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", op}};
}

// clone's flags are its first argument except on s390, where the kernel
// swapped the first two.
#if defined(__s390x__) || defined(__s390__)
constexpr unsigned kCloneFlagsArg = 1;
#else
constexpr unsigned kCloneFlagsArg = 0;
#endif

// Without CAP_SYS_ADMIN: clone for threads and processes but not for new
// namespaces, and clone3 answers ENOSYS because seccomp cannot read flags
// inside the struct it is passed; libc then falls back to clone.
void add_namespace_creation_rules(json &syscalls) {
  const json admin = {{"caps", {"CAP_SYS_ADMIN"}}};
  syscalls.push_back(rule({"clone", "clone3"}, "SCMP_ACT_ALLOW"));
  syscalls.back()["includes"] = admin;

  constexpr std::uint64_t kNewNamespaceFlags[] = {
      0x00020000, // CLONE_NEWNS
      0x02000000, // CLONE_NEWCGROUP
      0x04000000, // CLONE_NEWUTS
      0x08000000, // CLONE_NEWIPC
      0x10000000, // CLONE_NEWUSER
      0x20000000, // CLONE_NEWPID
      0x40000000, // CLONE_NEWNET
  };
  std::uint64_t any_new = 0;
  for (const auto flag : kNewNamespaceFlags) {
    any_new |= flag;
  }
  syscalls.push_back(rule({"clone"}, "SCMP_ACT_ALLOW"));
  syscalls.back()["args"] = {arg(kCloneFlagsArg, any_new, "SCMP_CMP_MASKED_EQ", 0)};
  syscalls.back()["excludes"] = admin;
  // One rule per flag, since a rule compares an argument once: together
  // they cover every clone the rule above leaves out, with Docker's EPERM.
  for (const auto flag : kNewNamespaceFlags) {
    syscalls.push_back(refuse({"clone"}, kEperm));
    syscalls.back()["args"] = {arg(kCloneFlagsArg, flag, "SCMP_CMP_MASKED_EQ", flag)};
    syscalls.back()["excludes"] = admin;
  }
  syscalls.push_back(refuse({"clone3"}, kEnosys));
  syscalls.back()["excludes"] = admin;
}

// personality may only ask for Linux, its 32-bit variant and UNAME26, or
// query (0xffffffff), as in Docker: the other flags undo protections such as
// ASLR. Other values get the default ENOSYS rather than EPERM because
// libseccomp cannot compare one argument twice in one rule.
void add_personality_rules(json &syscalls) {
  for (const std::uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    syscalls.push_back(rule({"personality"}, "SCMP_ACT_ALLOW"));
    syscalls.back()["args"] = {arg(0, persona, "SCMP_CMP_EQ")};
  }
}

// AF_VSOCK talks to the hypervisor host, outside any network namespace.
// The refusal comes first: libseccomp rejects an EQ rule added after an NE
// rule on the same value, but not the other way round.
void add_socket_rules(json &syscalls) {
  constexpr std::uint64_t kAfVsock = 40;
  syscalls.push_back(refuse({"socket"}, kEperm));
  syscalls.back()["args"] = {arg(0, kAfVsock, "SCMP_CMP_EQ")};
  syscalls.push_back(rule({"socket"}, "SCMP_ACT_ALLOW"));
  syscalls.back()["args"] = {arg(0, kAfVsock, "SCMP_CMP_NE")};
}

void add_arch_specific_rules(json &syscalls) {
  syscalls.push_back(rule({"arch_prctl"}, "SCMP_ACT_ALLOW"));
  syscalls.back()["includes"] = {{"arches", {"amd64", "x32"}}};
  syscalls.push_back(rule({"modify_ldt"}, "SCMP_ACT_ALLOW"));
  syscalls.back()["includes"] = {{"arches", {"amd64", "x32", "x86"}}};
  syscalls.push_back(rule({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                           "breakpoint", "cacheflush", "set_tls"},
                          "SCMP_ACT_ALLOW"));
  syscalls.back()["includes"] = {{"arches", {"arm", "arm64"}}};
}

// Each gated syscall is allowed once per capability that opens it, and
// refused with EPERM unless the container holds one of them (or, for
// ptrace, runs on a kernel where it is safe).
void add_capability_rules(json &syscalls) {
  std::map<std::string_view, std::set<std::string_view>> openers;
  for (const auto &gate : capability_gates()) {
    syscalls.push_back(rule(gate.syscalls, "SCMP_ACT_ALLOW"));
    syscalls.back()["includes"] = {{"caps", {gate.capability}}};
    for (const auto name : gate.syscalls) {
      openers[name].insert(gate.capability);
    }
  }
  syscalls.push_back(rule(ptrace_calls(), "SCMP_ACT_ALLOW"));
  syscalls.back()["includes"] = {{"minKernel", kPtraceSafeKernel}};

  const std::set<std::string_view> ptrace_names(ptrace_calls().begin(), ptrace_calls().end());
  std::map<std::pair<std::set<std::string_view>, bool>, Names> refusals;
  for (const auto &[name, caps] : openers) {
    refusals[{caps, ptrace_names.count(name) > 0}].push_back(name);
  }
  for (const auto &[key, names] : refusals) {
    syscalls.push_back(refuse(names, kEperm));
    json excludes = {{"caps", json::array()}};
    for (const auto cap : key.first) {
      excludes["caps"].push_back(cap);
    }
    if (key.second) {
      excludes["minKernel"] = kPtraceSafeKernel;
    }
    syscalls.back()["excludes"] = excludes;
  }
}

json builtin_docker_format_profile() {
  json syscalls = json::array();
  syscalls.push_back(rule(always_allowed(), "SCMP_ACT_ALLOW"));
  add_namespace_creation_rules(syscalls);
  add_personality_rules(syscalls);
  add_socket_rules(syscalls);
  add_arch_specific_rules(syscalls);
  add_capability_rules(syscalls);
  syscalls.push_back(refuse(never_allowed(), kEperm));
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", kEnosys},
          {"archMap",
           {{{"architecture", "SCMP_ARCH_X86_64"},
             {"subArchitectures", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}},
            {{"architecture", "SCMP_ARCH_AARCH64"}, {"subArchitectures", {"SCMP_ARCH_ARM"}}},
            {{"architecture", "SCMP_ARCH_S390X"}, {"subArchitectures", {"SCMP_ARCH_S390"}}},
            {{"architecture", "SCMP_ARCH_PPC64LE"}, {"subArchitectures", json::array()}},
            {{"architecture", "SCMP_ARCH_RISCV64"}, {"subArchitectures", json::array()}}}},
          {"syscalls", syscalls}};
}

// ---------------------------------------------------------------------------
// Docker format → OCI linux.seccomp.
// ---------------------------------------------------------------------------

// This host as Docker-format filters name it: Go's GOARCH (what Docker
// compares "arches" with) plus the kernel's own name, accepted as well.
struct HostArch {
  Names names;
  std::string_view seccomp_arch;
};

HostArch host_arch() {
#if defined(__x86_64__) && defined(__ILP32__)
  return {{"x32"}, "SCMP_ARCH_X32"};
#elif defined(__x86_64__)
  return {{"amd64", "x86_64"}, "SCMP_ARCH_X86_64"};
#elif defined(__i386__)
  return {{"386", "x86"}, "SCMP_ARCH_X86"};
#elif defined(__aarch64__)
  return {{"arm64", "aarch64"}, "SCMP_ARCH_AARCH64"};
#elif defined(__arm__)
  return {{"arm"}, "SCMP_ARCH_ARM"};
#elif defined(__s390x__)
  return {{"s390x"}, "SCMP_ARCH_S390X"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return {{"ppc64le"}, "SCMP_ARCH_PPC64LE"};
#elif defined(__riscv) && __riscv_xlen == 64
  return {{"riscv64"}, "SCMP_ARCH_RISCV64"};
#else
  return {{}, ""};
#endif
}

using KernelVersion = std::pair<int, int>;

std::optional<KernelVersion> parse_kernel_version(const std::string &text) {
  int major = 0;
  int minor = 0;
  // "4.8" or a release such as "6.18.44-fc"; only major.minor count.
  if (std::sscanf(text.c_str(), "%d.%d", &major, &minor) != 2 || major < 0 || minor < 0) {
    return std::nullopt;
  }
  return KernelVersion{major, minor};
}

KernelVersion running_kernel() {
  static const KernelVersion version = [] {
    struct utsname names {};
    if (uname(&names) != 0) {
      return KernelVersion{0, 0};
    }
    return parse_kernel_version(names.release).value_or(KernelVersion{0, 0});
  }();
  return version;
}

// "sys_admin" and "CAP_SYS_ADMIN" name the same capability.
std::string canonical_capability(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return name.rfind("CAP_", 0) == 0 ? name : "CAP_" + name;
}

const std::vector<std::string> kActions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
const std::vector<std::string> kOperators = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                             "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                             "SCMP_CMP_MASKED_EQ"};
const std::vector<std::string> kArchitectures = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB"};

// Parsed JSON holds non-negative numbers as unsigned, JSON built in C++
// often as signed: both count.
std::optional<std::uint64_t> non_negative_integer(const json &value) {
  if (value.is_number_unsigned()) {
    return value.get<std::uint64_t>();
  }
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  return std::nullopt;
}

bool is_one_of(const std::string &word, const std::vector<std::string> &words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

class Converter {
public:
  Converter(const std::vector<std::string> &capabilities, std::string origin)
      : origin_(std::move(origin)) {
    for (const auto &cap : capabilities) {
      capabilities_.insert(canonical_capability(cap));
    }
  }

  sdk::Result<json> convert(const json &profile) const {
    if (!profile.is_object()) {
      return invalid("", "a seccomp profile is a JSON object with defaultAction and syscalls");
    }
    json oci = json::object();
    if (auto done = convert_defaults(profile, oci); !done) {
      return std::move(done).error();
    }
    auto arches = architectures(profile);
    if (!arches) {
      return std::move(arches).error();
    }
    oci["architectures"] = std::move(*arches);
    auto syscalls = convert_syscalls(profile);
    if (!syscalls) {
      return std::move(syscalls).error();
    }
    oci["syscalls"] = std::move(*syscalls);
    return oci;
  }

private:
  sdk::Error invalid(const std::string &where, const std::string &what) const {
    const auto prefix = where.empty() ? std::string() : where + ": ";
    return sdk::make_error(sdk::Errc::invalid_argument, "seccomp profile: " + prefix + what,
                           origin_);
  }

  sdk::Result<std::string> action(const json &entry, const std::string &where) const {
    const auto found = entry.find("action");
    if (found == entry.end() || !found->is_string()) {
      return invalid(where, "needs an action such as \"SCMP_ACT_ERRNO\"");
    }
    const auto name = found->get<std::string>();
    if (!is_one_of(name, kActions)) {
      return invalid(where, "unknown action '" + name + "'" + did_you_mean(name, kActions));
    }
    return name;
  }

  // errnoRet means something only to the actions that return a value.
  sdk::Result<void> copy_errno(const json &from, const char *key, const std::string &action,
                               json &to, const std::string &where) const {
    const auto found = from.find(key);
    if (found == from.end() || found->is_null()) {
      return {};
    }
    const auto number = non_negative_integer(*found);
    if (!number) {
      return invalid(where, std::string(key) + " must be a non-negative errno number");
    }
    if (action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE") {
      const auto only_for = " is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ";
      return invalid(where, key + std::string(only_for) + action);
    }
    to[key] = *number;
    return {};
  }

  sdk::Result<void> convert_defaults(const json &profile, json &oci) const {
    auto default_action = action_named(profile, "defaultAction");
    if (!default_action) {
      return std::move(default_action).error();
    }
    oci["defaultAction"] = *default_action;
    if (auto copied = copy_errno(profile, "defaultErrnoRet", *default_action, oci, ""); !copied) {
      return copied;
    }
    if (const auto flags = profile.find("flags"); flags != profile.end() && !flags->is_null()) {
      if (!flags->is_array() ||
          !std::all_of(flags->begin(), flags->end(), [](const json &f) { return f.is_string(); })) {
        return invalid("flags", "must be a list of SECCOMP_FILTER_FLAG_* names");
      }
      oci["flags"] = *flags;
    }
    return {};
  }

  sdk::Result<std::string> action_named(const json &profile, const char *key) const {
    const auto found = profile.find(key);
    if (found == profile.end() || !found->is_string()) {
      return invalid("", std::string("needs a ") + key + " such as \"SCMP_ACT_ERRNO\"");
    }
    const json entry = {{"action", *found}};
    return action(entry, key);
  }

  sdk::Result<json> architectures(const json &profile) const {
    const auto listed = profile.find("architectures");
    const auto mapped = profile.find("archMap");
    const bool has_list = listed != profile.end() && !listed->is_null();
    const bool has_map = mapped != profile.end() && !mapped->is_null();
    if (has_list && has_map) {
      return invalid("", "give architectures or archMap, not both");
    }
    json arches = json::array();
    if (has_list) {
      if (auto added = append_arches(*listed, "architectures", arches); !added) {
        return std::move(added).error();
      }
    }
    if (has_map) {
      if (auto added = native_arches(*mapped, arches); !added) {
        return std::move(added).error();
      }
    }
    return arches;
  }

  sdk::Result<void> append_arches(const json &names, const std::string &where, json &arches) const {
    if (!names.is_array()) {
      return invalid(where, "must be a list of SCMP_ARCH_* names");
    }
    for (const auto &name : names) {
      const auto text = name.is_string() ? name.get<std::string>() : name.dump();
      if (!is_one_of(text, kArchitectures)) {
        return invalid(where,
                       "unknown architecture '" + text + "'" + did_you_mean(text, kArchitectures));
      }
      if (std::find(arches.begin(), arches.end(), name) == arches.end()) {
        arches.push_back(name);
      }
    }
    return {};
  }

  // Docker keeps the archMap entry for the host's architecture, with its
  // compat ABIs; a host the map does not list gets its native ABI alone.
  sdk::Result<void> native_arches(const json &map, json &arches) const {
    if (!map.is_array()) {
      return invalid("archMap", "must be a list of {architecture, subArchitectures}");
    }
    const auto native = host_arch().seccomp_arch;
    for (std::size_t i = 0; i < map.size(); ++i) {
      const auto &entry = map[i];
      const auto where = "archMap[" + std::to_string(i) + "]";
      if (!entry.is_object() || !entry.contains("architecture")) {
        return invalid(where, "needs an architecture");
      }
      const auto &architecture = entry["architecture"];
      if (!architecture.is_string() || architecture.get<std::string>() != native) {
        continue;
      }
      if (auto added = append_arches(json::array({entry["architecture"]}), where, arches); !added) {
        return added;
      }
      const auto subs = entry.find("subArchitectures");
      if (subs != entry.end() && !subs->is_null()) {
        if (auto added = append_arches(*subs, where + ".subArchitectures", arches); !added) {
          return added;
        }
      }
    }
    return {};
  }

  sdk::Result<json> convert_syscalls(const json &profile) const {
    json converted = json::array();
    const auto found = profile.find("syscalls");
    if (found == profile.end() || found->is_null()) {
      return converted;
    }
    if (!found->is_array()) {
      return invalid("syscalls", "must be a list of rules");
    }
    for (std::size_t i = 0; i < found->size(); ++i) {
      const auto where = "syscalls[" + std::to_string(i) + "]";
      auto rule = convert_rule((*found)[i], where);
      if (!rule) {
        return std::move(rule).error();
      }
      if (!rule->is_null()) {
        converted.push_back(std::move(*rule));
      }
    }
    return converted;
  }

  // The OCI rule for one Docker rule, or null when its filters leave it out
  // for this host and these capabilities.
  sdk::Result<json> convert_rule(const json &entry, const std::string &where) const {
    if (!entry.is_object()) {
      return invalid(where, "a rule is an object with names and action");
    }
    auto names = rule_names(entry, where);
    if (!names) {
      return std::move(names).error();
    }
    auto action_name = action(entry, where);
    if (!action_name) {
      return std::move(action_name).error();
    }
    auto wanted = applies(entry, where);
    if (!wanted) {
      return std::move(wanted).error();
    }
    if (!*wanted || names->empty()) {
      return json(nullptr);
    }
    json oci = {{"names", std::move(*names)}, {"action", *action_name}};
    if (auto copied = copy_errno(entry, "errnoRet", *action_name, oci, where); !copied) {
      return std::move(copied).error();
    }
    auto args = rule_args(entry, where);
    if (!args) {
      return std::move(args).error();
    }
    if (!args->empty()) {
      oci["args"] = std::move(*args);
    }
    return oci;
  }

  // "names", or the single "name" of profiles older than Docker 1.12.
  sdk::Result<json> rule_names(const json &entry, const std::string &where) const {
    const auto many = entry.find("names");
    const auto one = entry.find("name");
    const bool has_many = many != entry.end() && !many->is_null();
    // Go profiles write the absent name as "".
    const bool has_one = one != entry.end() && !one->is_null() &&
                         !(one->is_string() && one->get_ref<const std::string &>().empty());
    if (has_many && has_one) {
      return invalid(where, "give name or names, not both");
    }
    if (has_one) {
      if (!one->is_string()) {
        return invalid(where, "name must be a syscall name");
      }
      return json::array({*one});
    }
    if (!has_many) {
      return invalid(where, "needs names, the syscalls it applies to");
    }
    if (!many->is_array() ||
        !std::all_of(many->begin(), many->end(), [](const json &n) { return n.is_string(); })) {
      return invalid(where, "names must be a list of syscall names");
    }
    return *many;
  }

  sdk::Result<json> rule_args(const json &entry, const std::string &where) const {
    json args = json::array();
    const auto found = entry.find("args");
    if (found == entry.end() || found->is_null()) {
      return args;
    }
    if (!found->is_array()) {
      return invalid(where, "args must be a list of {index, value, op}");
    }
    for (std::size_t i = 0; i < found->size(); ++i) {
      auto converted = rule_arg((*found)[i], where + ".args[" + std::to_string(i) + "]");
      if (!converted) {
        return std::move(converted).error();
      }
      args.push_back(std::move(*converted));
    }
    return args;
  }

  sdk::Result<json> rule_arg(const json &arg, const std::string &where) const {
    constexpr unsigned kSyscallArgs = 6;
    if (!arg.is_object()) {
      return invalid(where, "an argument is an object {index, value, op}");
    }
    const auto index = non_negative_integer(arg.value("index", json()));
    if (!index || *index >= kSyscallArgs) {
      return invalid(where, "index must be 0 to 5");
    }
    json oci = {{"index", *index}};
    for (const char *key : {"value", "valueTwo"}) {
      const auto value = non_negative_integer(arg.value(key, json(0U)));
      if (!value) {
        return invalid(where, std::string(key) + " must be a non-negative integer");
      }
      oci[key] = *value;
    }
    const auto op = arg.find("op");
    const auto name = op != arg.end() && op->is_string() ? op->get<std::string>() : "";
    if (!is_one_of(name, kOperators)) {
      return invalid(where, "unknown op '" + name + "'" + did_you_mean(name, kOperators));
    }
    oci["op"] = name;
    return oci;
  }

  // Docker's rule filters: excludes drop a rule when any of them matches
  // (a held capability, this architecture, a kernel at least this new);
  // includes keep it only when all of them match.
  sdk::Result<bool> applies(const json &entry, const std::string &where) const {
    if (const auto excludes = entry.find("excludes"); excludes != entry.end()) {
      auto hit = filter_matches(*excludes, where + ".excludes", /*all=*/false);
      if (!hit) {
        return std::move(hit).error();
      }
      if (*hit) {
        return false;
      }
    }
    if (const auto includes = entry.find("includes"); includes != entry.end()) {
      return filter_matches(*includes, where + ".includes", /*all=*/true);
    }
    return true;
  }

  // With all: every given condition holds (an empty filter holds). Without:
  // at least one does (an empty filter does not).
  sdk::Result<bool> filter_matches(const json &filter, const std::string &where, bool all) const {
    if (filter.is_null()) {
      return all;
    }
    if (!filter.is_object()) {
      return invalid(where, "must be an object with caps, arches or minKernel");
    }
    std::vector<bool> results;
    if (auto caps = string_list(filter, "caps", where); !caps) {
      return std::move(caps).error();
    } else if (!caps->empty()) {
      const auto held = [this](const std::string &cap) {
        return capabilities_.count(canonical_capability(cap)) > 0;
      };
      results.push_back(all ? std::all_of(caps->begin(), caps->end(), held)
                            : std::any_of(caps->begin(), caps->end(), held));
    }
    if (auto arches = string_list(filter, "arches", where); !arches) {
      return std::move(arches).error();
    } else if (!arches->empty()) {
      const auto host = host_arch().names;
      results.push_back(std::any_of(arches->begin(), arches->end(), [&](const std::string &a) {
        return std::find(host.begin(), host.end(), a) != host.end();
      }));
    }
    if (const auto min = filter.find("minKernel"); min != filter.end() && !min->is_null()) {
      const auto version =
          min->is_string() ? parse_kernel_version(min->get<std::string>()) : std::nullopt;
      if (!version) {
        return invalid(where, "minKernel must be a version such as \"4.8\"");
      }
      results.push_back(running_kernel() >= *version);
    }
    return all ? std::all_of(results.begin(), results.end(), [](bool b) { return b; })
               : std::any_of(results.begin(), results.end(), [](bool b) { return b; });
  }

  sdk::Result<std::vector<std::string>> string_list(const json &filter, const char *key,
                                                    const std::string &where) const {
    const auto found = filter.find(key);
    if (found == filter.end() || found->is_null()) {
      return std::vector<std::string>{};
    }
    if (!found->is_array() ||
        !std::all_of(found->begin(), found->end(), [](const json &s) { return s.is_string(); })) {
      return invalid(where, std::string(key) + " must be a list of names");
    }
    return found->get<std::vector<std::string>>();
  }

  std::string origin_;
  std::set<std::string> capabilities_;
};

sdk::Result<std::string> read_profile_text(const std::filesystem::path &file) {
  std::error_code ignored;
  if (std::filesystem::is_directory(file, ignored)) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "is a directory; --security-opt seccomp= takes a profile file",
                           file.string());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return sdk::errno_error("cannot read the seccomp profile: open", file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 3,
// column 5: ..." without the bracketed id, which means nothing to a user.
std::string describe_parse_error(const nlohmann::json::parse_error &error) {
  std::string what = error.what();
  if (const auto end = what.find("] ");
      what.rfind("[json.exception", 0) == 0 && end != std::string::npos) {
    what.erase(0, end + 2);
  }
  std::replace(what.begin(), what.end(), '\n', ' ');
  return what;
}

} // namespace

nlohmann::json default_seccomp_profile(const std::vector<std::string> &capabilities) {
  auto converted =
      Converter(capabilities, "built-in seccomp profile").convert(builtin_docker_format_profile());
  if (!converted) {
    // The built-in profile is fixed data; failing to convert it is a bug.
    throw std::logic_error(converted.error().describe());
  }
  return std::move(converted).value();
}

sdk::Result<nlohmann::json>
convert_docker_seccomp_profile(const nlohmann::json &profile,
                               const std::vector<std::string> &capabilities,
                               const std::string &origin) {
  return Converter(capabilities, origin).convert(profile);
}

sdk::Result<nlohmann::json>
load_seccomp_profile_file(const std::filesystem::path &file,
                          const std::vector<std::string> &capabilities) {
  auto text = read_profile_text(file);
  if (!text) {
    return std::move(text).error();
  }
  json profile;
  try {
    profile = json::parse(*text);
  } catch (const json::parse_error &e) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "seccomp profile is not valid JSON: " + describe_parse_error(e) +
                               "; fix the file or use --security-opt seccomp=unconfined",
                           file.string());
  }
  return convert_docker_seccomp_profile(profile, capabilities, file.string());
}

} // namespace berth
