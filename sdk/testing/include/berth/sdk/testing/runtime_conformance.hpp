// The conformance kit for isolation backends: the promises berth-shim and the
// engine rely on when they run a container through a runtime plugin.
//
//   #include <berth/sdk/testing/runtime_conformance.hpp>
//   extern "C" const berth_plugin_descriptor *berth_plugin(void);
//   using berth::sdk::testing::IsolationBackendConformance;
//   INSTANTIATE_TEST_SUITE_P(MyBackend, IsolationBackendConformance,
//                            ::testing::Values(&berth_plugin));
//
// A backend that needs options names them (they are merged over its schema's
// defaults), optionally with a label for the test names:
//
//   ::testing::Values(IsolationBackendParam{&berth_plugin, {{"binary", "runc"}}, "runc"})
//
// The cases run real containers, so they need root and a static busybox
// (Debian's busybox-static) for the containers' rootfs; without either, or
// when the backend answers "skip" on this host, they are skipped with the
// reason. Each test process first moves into a mount namespace of its own, so
// nothing mounted reaches the host, and becomes a child subreaper, so that it
// reaps container inits with waitpid() as berth-shim does. Every container
// gets its own bundle under a fresh /tmp directory and the cgroup
// /berth-conformance-<test pid>/<id>, and a test removes every container it
// made even when an assertion fails.
#pragma once

#include <berth/sdk/unique_fd.hpp>

#include <berth/sdk/runtime.hpp>
#include <berth/sdk/testing/plugin_conformance.hpp>

#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>
#include <utility>

namespace berth::sdk::testing {

// What the kit runs against: the plugin's entry point, the options berth
// would pass it (merged over its schema's defaults) and a label for the test
// names (the plugin's own name when empty). An entry point alone converts.
struct IsolationBackendParam {
  IsolationBackendParam(EntryPoint entry_point, // NOLINT: implicit by design
                        nlohmann::json plugin_options = nlohmann::json::object(),
                        std::string test_label = {})
      : entry(entry_point), options(std::move(plugin_options)), label(std::move(test_label)) {}

  EntryPoint entry;
  nlohmann::json options;
  std::string label;

  [[nodiscard]] std::string name() const { return label.empty() ? entry()->name : label; }
  friend void PrintTo( // NOLINT(readability-identifier-naming): gtest's name
      const IsolationBackendParam &param, std::ostream *out) {
    *out << param.name() << " " << param.options.dump();
  }
};

// Test names from the labels ("oci-runc" -> oci_runc).
struct BackendLabel {
  std::string operator()(const ::testing::TestParamInfo<IsolationBackendParam> &info) const {
    std::string name = info.param.name();
    for (char &c : name) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
        c = '_';
      }
    }
    return name;
  }
};

// Two instances over one TestHost share its state directory and key-value
// store, which is how the kit simulates an engine restart for recover().
using IsolationBackendUnderTest = PluginUnderTest<IsolationBackend>;

namespace runtime_kit {

using Clock = std::chrono::steady_clock;
// How long anything the kit waits for may take before it counts as a hang.
inline constexpr std::chrono::seconds kPatience{20};
inline constexpr std::uint64_t kMemoryLimit = 256ULL << 20U;
inline constexpr const char *kHostname = "berth-kit";

using Fd = UniqueFd;

struct Pipe {
  Fd read;
  Fd write;
};

inline Pipe make_pipe() {
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return {};
  }
  return {Fd(fds[0]), Fd(fds[1])};
}

inline bool readable_within(int fd, std::chrono::milliseconds timeout) {
  pollfd wanted{fd, POLLIN, 0};
  int rc = 0;
  do {
    rc = ::poll(&wanted, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

inline std::chrono::milliseconds until(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// What fd yields until every writer closed it (a pty master reports EIO
// instead), or until the deadline.
inline std::string read_to_end(int fd, Clock::time_point deadline) {
  std::string text;
  std::array<char, 4096> buffer{};
  while (readable_within(fd, until(deadline))) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return text;
}

// One line without its newline; whatever came when the deadline passed.
inline std::string read_line(int fd, Clock::time_point deadline) {
  std::string line;
  char c = 0;
  while (readable_within(fd, until(deadline)) && ::read(fd, &c, 1) == 1 && c != '\n') {
    line += c;
  }
  return line;
}

// Waits for the child pid to end and reaps it: its wait status, or nullopt
// when it still runs at the deadline or is not this process's child. A pidfd
// turns the wait into a poll() with a timeout.
inline std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout = kPatience) {
  int status = 0;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    const bool ended = readable_within(pidfd, timeout);
    ::close(pidfd);
    if (!ended) {
      return std::nullopt;
    }
    pid_t reaped = 0;
    do {
      reaped = ::waitpid(pid, &status, WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    return reaped == pid ? std::optional<int>(status) : std::nullopt;
  }
  // No pidfd (Linux < 5.3), or pid is already gone: poll waitpid.
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid) {
      return status;
    }
    if ((reaped < 0 && errno != EINTR) || Clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// "exited with 7" or "killed by signal 9 (Killed)", to compare in assertions.
inline std::string describe_status(int status) {
  if (WIFEXITED(status)) {
    return "exited with " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

// Why wait_exit gave up on pid, for a failure message.
inline std::string why_not_reaped(pid_t pid) {
  if (::kill(pid, 0) == 0) {
    return "pid " + std::to_string(pid) + " still runs after " + std::to_string(kPatience.count()) +
           "s";
  }
  return "pid " + std::to_string(pid) +
         " is gone but was not this (subreaper) process's child to reap: something else waited "
         "for it, and a backend must never reap a container's processes";
}

template <class T> bool failed_with(const Result<T> &result, Errc code) {
  return !result.ok() && result.error().code == code;
}

template <class T> std::string outcome(const Result<T> &result) {
  if (result.ok()) {
    return "ok";
  }
  return std::string(errc_name(result.error().code)) + ": " + result.error().describe();
}

// The first static busybox found: the rootfs has no libc for a dynamic one.
inline std::filesystem::path find_static_busybox() {
  for (const char *candidate :
       {"/bin/busybox", "/usr/bin/busybox", "/usr/sbin/busybox", "/sbin/busybox"}) {
    std::ifstream in(candidate, std::ios::binary);
    Elf64_Ehdr header{};
    if (!in.read(reinterpret_cast<char *>(&header), sizeof header) ||
        std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != ELFCLASS64) {
      continue;
    }
    bool dynamic = false;
    for (int i = 0; i < header.e_phnum; ++i) {
      Elf64_Phdr program{};
      in.seekg(static_cast<std::streamoff>(header.e_phoff +
                                           static_cast<Elf64_Off>(i) * header.e_phentsize));
      if (!in.read(reinterpret_cast<char *>(&program), sizeof program)) {
        dynamic = true; // unreadable: do not trust it
        break;
      }
      dynamic = dynamic || program.p_type == PT_INTERP;
    }
    if (!dynamic) {
      return candidate;
    }
  }
  return {};
}

inline std::string slurp(const std::filesystem::path &file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The parent pid from /proc/PID/stat, or 0.
inline pid_t parent_of(pid_t pid) {
  const auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  std::istringstream fields(stat.substr(close + 1));
  std::string state;
  pid_t parent = 0;
  fields >> state >> parent;
  return parent;
}

// Mount points and filesystem types from a mountinfo table.
inline std::vector<std::pair<std::string, std::string>> parse_mountinfo(const std::string &table) {
  std::vector<std::pair<std::string, std::string>> mounts;
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, field;
    fields >> id >> parent >> device >> root >> point;
    while (fields >> field && field != "-") {
    }
    std::string type;
    fields >> type;
    if (!point.empty()) {
      mounts.emplace_back(point, type);
    }
  }
  return mounts;
}

// Every cgroup hierarchy mounted here (v1 controllers, the v2 or hybrid
// unified one).
inline std::vector<std::filesystem::path> cgroup_roots() {
  std::vector<std::filesystem::path> roots;
  for (const auto &[point, type] : parse_mountinfo(slurp("/proc/self/mountinfo"))) {
    if (type == "cgroup" || type == "cgroup2") {
      roots.emplace_back(point);
    }
  }
  return roots;
}

// Removes an empty cgroup and its children, deepest first (cgroupfs
// directories go with rmdir, never with unlink).
inline void remove_cgroup_tree(const std::filesystem::path &dir) {
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
      remove_cgroup_tree(entry.path());
    }
  }
  ::rmdir(dir.c_str());
}

// Docker's default capability set.
inline nlohmann::json default_capabilities() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

// A config.json (OCI runtime spec 1.0) much like the one berth writes: runc's
// default mounts, masked and read-only paths, every namespace but user, a
// memory limit, and the bundle's out/ directory bound at /out so a test can
// see from the host what the program did.
inline nlohmann::json conformance_spec(const std::vector<std::string> &args,
                                       const std::string &cgroups_path,
                                       const std::filesystem::path &out_dir) {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  // A container may not raise a hard limit above the caller's.
  const auto nofile = std::min<rlim_t>(files.rlim_max, 1024);
  const auto caps = default_capabilities();
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", nofile}, {"soft", nofile}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", false}}},
      {"hostname", kHostname},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/out"},
         {"type", "bind"},
         {"source", out_dir.string()},
         {"options", {"rbind", "rw"}}}}},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "mount"}},
          {{"type", "uts"}},
          {{"type", "ipc"}},
          {{"type", "network"}},
          {{"type", "cgroup"}}}},
        {"cgroupsPath", cgroups_path},
        {"resources",
         {{"devices", {{{"allow", false}, {"access", "rwm"}}}},
          {"memory", {{"limit", kMemoryLimit}}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
          "/sys/firmware"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
}

// The kit's end of the OCI console socket: it listens at path and takes the
// pty master a backend sends over it with SCM_RIGHTS.
class ConsoleSocket {
public:
  explicit ConsoleSocket(const std::filesystem::path &path)
      : listener_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const auto text = path.string();
    if (text.size() >= sizeof address.sun_path) {
      error_ = "socket path too long: " + text;
      return;
    }
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    if (::bind(listener_.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) !=
            0 ||
        ::listen(listener_.get(), 4) != 0) {
      error_ = errno_error("bind/listen", text).describe();
    }
  }

  [[nodiscard]] const std::string &error() const { return error_; }

  // The master the backend sent, or an invalid Fd when none came in time.
  Fd receive_master(Clock::time_point deadline) {
    if (!readable_within(listener_.get(), until(deadline))) {
      return {};
    }
    Fd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (connection.get() < 0 || !readable_within(connection.get(), until(deadline))) {
      return {};
    }
    std::array<char, 4096> name{}; // runtimes send the pty's name as the payload
    iovec payload{name.data(), name.size()};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * 4)> control{};
    msghdr message{};
    message.msg_iov = &payload;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    if (::recvmsg(connection.get(), &message, MSG_CMSG_CLOEXEC) < 0) {
      return {};
    }
    for (cmsghdr *header = CMSG_FIRSTHDR(&message); header != nullptr;
         header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
        return Fd(fd);
      }
    }
    return {};
  }

private:
  Fd listener_;
  std::string error_;
};

} // namespace runtime_kit

class IsolationBackendConformance : public ::testing::TestWithParam<IsolationBackendParam> {
protected:
  // One container: its bundle, the spec written there and, once created, the
  // init's pid and the read ends of its stdout and stderr.
  struct Container {
    std::string id;
    std::filesystem::path bundle;
    nlohmann::json spec;
    int pid = 0;
    runtime_kit::Fd out;
    runtime_kit::Fd err;
  };

  // A finished container: its init's wait status and what it wrote.
  struct Finished {
    int status = -1;
    std::string out;
    std::string err;
  };

  void SetUp() override {
    if (const auto &error = sandbox_error(); !error.empty()) {
      GTEST_SKIP() << "the runtime kit runs real containers and needs root: " << error;
    }
    busybox_ = runtime_kit::find_static_busybox();
    if (busybox_.empty()) {
      GTEST_SKIP() << "the runtime kit needs a static busybox at /bin/busybox for its rootfs "
                      "(Debian: apt-get install busybox-static)";
    }
    std::string pattern = "/tmp/berth-runtime-kit-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    work_ = pattern;
    // One private copy that every rootfs links to: a container may write to
    // its /bin/busybox, never to the host's.
    std::filesystem::copy_file(busybox_, work_ / "busybox");
    backend_ =
        std::make_unique<IsolationBackendUnderTest>(GetParam().entry, GetParam().options, host_);
    if (!backend_->skip_reason().empty()) {
      GTEST_SKIP() << "cannot run on this host: " << backend_->skip_reason();
    }
    ASSERT_TRUE(backend_->ok()) << "create failed: " << backend_->error();
  }

  void TearDown() override {
    if (backend_ != nullptr && backend_->ok()) {
      std::for_each(ids_.rbegin(), ids_.rend(),
                    [this](const std::string &id) { (void)(*backend_)->remove(id); });
    }
    for (const int pid : owned_) {
      int status = 0;
      // Still this process's live child, so still the container process the
      // backend handed over (a pid is not reused before it is reaped).
      if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        (void)runtime_kit::wait_exit(pid, std::chrono::seconds(5));
      }
    }
    backend_.reset();
    if (!work_.empty()) {
      unmount_below(work_);
      std::error_code ignored;
      std::filesystem::remove_all(work_, ignored);
    }
    for (const auto &root : runtime_kit::cgroup_roots()) {
      runtime_kit::remove_cgroup_tree(root / cgroup_parent());
    }
  }

  // Once per test process: a mount namespace of its own, so that nothing a
  // backend or the kit mounts reaches the host, and the child-subreaper bit,
  // so that an init whose runtime process exits is reparented to us.
  static const std::string &sandbox_error() {
    static const std::string error = []() -> std::string {
      if (::unshare(CLONE_NEWNS) != 0) {
        return errno_error("unshare(CLONE_NEWNS)", "the test process").describe();
      }
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        return errno_error("mount(MS_REC|MS_PRIVATE)", "/").describe();
      }
      if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        return errno_error("prctl(PR_SET_CHILD_SUBREAPER)", "the test process").describe();
      }
      return {};
    }();
    return error;
  }

  static std::string cgroup_parent() { return "berth-conformance-" + std::to_string(::getpid()); }

  IsolationBackend &backend() { return **backend_; }

  // A new container id and bundle whose config.json will run args. The id is
  // recorded at once, so TearDown removes it whatever happens next.
  Container prepare(const std::vector<std::string> &args) {
    Container c;
    const std::lock_guard lock(mutex_);
    // Unique in the process, so ids never repeat between tests either.
    static std::atomic<int> containers{0};
    const auto n = std::to_string(++containers);
    c.id = "kit" + std::to_string(::getpid()) + "-" + n;
    c.bundle = work_ / ("bundle-" + n);
    const auto rootfs = c.bundle / "rootfs";
    for (const auto *dir : {"bin", "dev", "etc", "proc", "sys", "tmp", "out"}) {
      std::filesystem::create_directories(rootfs / dir);
    }
    std::filesystem::permissions(rootfs / "tmp",
                                 std::filesystem::perms::all | std::filesystem::perms::sticky_bit);
    std::filesystem::create_directories(c.bundle / "out");
    std::filesystem::create_hard_link(work_ / "busybox", rootfs / "bin" / "busybox");
    for (const auto *applet :
         {"sh", "true", "false", "echo", "cat", "sleep", "hostname", "ls", "id", "test", "tty"}) {
      std::filesystem::create_symlink("busybox", rootfs / "bin" / applet);
    }
    c.spec =
        runtime_kit::conformance_spec(args, "/" + cgroup_parent() + "/" + c.id, c.bundle / "out");
    ids_.push_back(c.id);
    return c;
  }

  // Writes config.json and calls create(). Unless io names a console socket,
  // stdout and stderr go to pipes whose read ends land in c. The init's pid
  // joins those TearDown reaps.
  Result<ContainerState> create(Container &c, ProcessIo io = {}) {
    std::ofstream(c.bundle / "config.json") << c.spec.dump(2);
    auto out = runtime_kit::make_pipe();
    auto err = runtime_kit::make_pipe();
    if (io.console_socket.empty()) {
      io.stdout_fd = out.write.get();
      io.stderr_fd = err.write.get();
    }
    auto created = backend().create(c.id, c.bundle.string(), c.spec, io);
    // The backend duplicated what it needed; with our write ends closed the
    // reads see EOF once the container's processes close theirs.
    c.out = std::move(out.read);
    c.err = std::move(err.read);
    if (created.ok() && created->pid > 0) {
      c.pid = created->pid;
      own(c.pid);
    }
    return created;
  }

  void create_and_start(Container &c) {
    auto created = create(c);
    ASSERT_TRUE(created.ok()) << "create " << c.id << ": " << runtime_kit::outcome(created);
    auto started = backend().start(c.id);
    ASSERT_TRUE(started.ok()) << "start " << c.id << ": " << runtime_kit::outcome(started);
  }

  // Creates and starts a container running args, waits for its init and
  // collects what it wrote.
  void run_to_exit(const std::vector<std::string> &args, Finished &done) {
    auto c = prepare(args);
    ASSERT_NO_FATAL_FAILURE(create_and_start(c));
    ASSERT_NO_FATAL_FAILURE(reap(c.pid, done.status));
    // It has exited, so all it wrote is in the pipes; a short deadline only
    // guards against a writer the backend forgot to close.
    const auto deadline = runtime_kit::Clock::now() + std::chrono::seconds(2);
    done.out = runtime_kit::read_to_end(c.out.get(), deadline);
    done.err = runtime_kit::read_to_end(c.err.get(), deadline);
  }

  // Waits for pid, a container process this test owns, and reaps it.
  static void reap(int pid, int &status) {
    ASSERT_GT(pid, 0);
    auto ended = runtime_kit::wait_exit(pid);
    ASSERT_TRUE(ended.has_value()) << runtime_kit::why_not_reaped(pid);
    status = *ended;
  }

  void own(int pid) {
    const std::lock_guard lock(mutex_);
    owned_.push_back(pid);
  }

  // cgroups of id still present in any hierarchy.
  std::vector<std::string> leftover_cgroups(const std::string &id) const {
    std::vector<std::string> left;
    for (const auto &root : runtime_kit::cgroup_roots()) {
      const auto dir = root / cgroup_parent() / id;
      if (std::filesystem::exists(dir)) {
        left.push_back(dir.string());
      }
    }
    return left;
  }

  // Kills what a backend call that never returned left in id's cgroups:
  // only this process's own children, which cannot be reused pids.
  void kill_stranded(const std::string &id) const {
    for (const auto &dir : leftover_cgroups(id)) {
      std::istringstream procs(runtime_kit::slurp(std::filesystem::path(dir) / "cgroup.procs"));
      for (pid_t pid = 0; procs >> pid;) {
        if (runtime_kit::parent_of(pid) == ::getpid()) {
          ::kill(pid, SIGKILL);
        }
      }
    }
  }

  // Detaches whatever is mounted at or below dir in this (private) mount
  // namespace, deepest first, so that removing dir never reaches into a mount.
  static void unmount_below(const std::filesystem::path &dir) {
    const auto prefix = dir.string();
    std::vector<std::string> points;
    for (const auto &[point, type] :
         runtime_kit::parse_mountinfo(runtime_kit::slurp("/proc/self/mountinfo"))) {
      if (point == prefix || point.rfind(prefix + "/", 0) == 0) {
        points.push_back(point);
      }
    }
    std::for_each(points.rbegin(), points.rend(),
                  [](const std::string &point) { ::umount2(point.c_str(), MNT_DETACH); });
  }

  TestHost host_;
  std::unique_ptr<IsolationBackendUnderTest> backend_;
  std::filesystem::path busybox_;
  std::filesystem::path work_;
  std::mutex mutex_; // guards what the concurrent case touches below
  std::vector<std::string> ids_;
  std::vector<int> owned_;
};

TEST_P(IsolationBackendConformance, CreateLeavesTheUserProgramUnstarted) {
  auto c = prepare({"sh", "-c", "echo ran > /out/ran; echo hello"});
  auto created = create(c);
  ASSERT_TRUE(created.ok()) << runtime_kit::outcome(created);
  EXPECT_EQ(created->id, c.id);
  EXPECT_STREQ(container_status_name(created->status), "created");
  ASSERT_GT(created->pid, 0) << "create must report the init's pid";
  EXPECT_EQ(::kill(created->pid, 0), 0) << "the init must exist after create";

  if (runtime_kit::readable_within(c.out.get(), std::chrono::milliseconds(300))) {
    std::array<char, 256> early{};
    const auto n = ::read(c.out.get(), early.data(), early.size());
    ADD_FAILURE() << (n > 0 ? "the program wrote before start(): " +
                                  std::string(early.data(), static_cast<std::size_t>(n))
                            : std::string("stdout closed before start(): the init died or the "
                                          "backend did not hand it the pipe"));
  }
  EXPECT_FALSE(std::filesystem::exists(c.bundle / "out" / "ran"))
      << "the program ran before start()";
  auto state = backend().state(c.id);
  ASSERT_TRUE(state.ok()) << runtime_kit::outcome(state);
  EXPECT_STREQ(container_status_name(state->status), "created");
  EXPECT_EQ(state->pid, created->pid);

  auto started = backend().start(c.id);
  ASSERT_TRUE(started.ok()) << runtime_kit::outcome(started);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status));
  EXPECT_EQ(runtime_kit::describe_status(status), "exited with 0");
  EXPECT_TRUE(std::filesystem::exists(c.bundle / "out" / "ran")) << "start() ran nothing";
  EXPECT_EQ(
      runtime_kit::read_to_end(c.out.get(), runtime_kit::Clock::now() + std::chrono::seconds(2)),
      "hello\n");
}

TEST_P(IsolationBackendConformance, StartRunsTheProgramWithItsStdioAndExitCode) {
  auto c = prepare({"sh", "-c", "read line; echo got-$line; echo oops >&2; exit 7"});
  auto in = runtime_kit::make_pipe();
  ASSERT_EQ(::write(in.write.get(), "ping\n", 5), 5);
  in.write.reset();
  ProcessIo io;
  io.stdin_fd = in.read.get();
  auto created = create(c, io);
  ASSERT_TRUE(created.ok()) << runtime_kit::outcome(created);
  in.read.reset();
  auto started = backend().start(c.id);
  ASSERT_TRUE(started.ok()) << runtime_kit::outcome(started);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status));
  EXPECT_EQ(runtime_kit::describe_status(status), "exited with 7")
      << "the init's exit code must reach waitpid() in the subreaper";
  const auto deadline = runtime_kit::Clock::now() + std::chrono::seconds(2);
  EXPECT_EQ(runtime_kit::read_to_end(c.out.get(), deadline), "got-ping\n");
  EXPECT_EQ(runtime_kit::read_to_end(c.err.get(), deadline), "oops\n");
}

TEST_P(IsolationBackendConformance, StateGoesFromCreatedToRunningToStopped) {
  auto c = prepare({"sleep", "1000"});
  auto created = create(c);
  ASSERT_TRUE(created.ok()) << runtime_kit::outcome(created);
  auto state = backend().state(c.id);
  ASSERT_TRUE(state.ok()) << runtime_kit::outcome(state);
  EXPECT_STREQ(container_status_name(state->status), "created");

  ASSERT_TRUE(backend().start(c.id).ok());
  state = backend().state(c.id);
  ASSERT_TRUE(state.ok()) << runtime_kit::outcome(state);
  EXPECT_STREQ(container_status_name(state->status), "running");
  EXPECT_EQ(state->pid, c.pid);
  EXPECT_EQ(state->bundle, c.bundle.string());

  auto killed = backend().kill(c.id, SIGKILL, false);
  ASSERT_TRUE(killed.ok()) << runtime_kit::outcome(killed);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status));
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << runtime_kit::describe_status(status);
  state = backend().state(c.id);
  ASSERT_TRUE(state.ok()) << runtime_kit::outcome(state);
  EXPECT_STREQ(container_status_name(state->status), "stopped");
  EXPECT_EQ(state->pid, 0) << "a stopped container reports pid 0";
}

TEST_P(IsolationBackendConformance, KillWithAllSignalsEveryProcessInTheContainer) {
  // PID 1 of a namespace ignores SIGTERM it has no handler for, so only the
  // background sleep dies, wait returns and the shell exits on its own.
  auto c = prepare({"sh", "-c", "sleep 1000 & echo ready; wait; echo after-wait; exit 3"});
  ASSERT_NO_FATAL_FAILURE(create_and_start(c));
  const auto deadline = runtime_kit::Clock::now() + runtime_kit::kPatience;
  ASSERT_EQ(runtime_kit::read_line(c.out.get(), deadline), "ready");
  auto killed = backend().kill(c.id, SIGTERM, true);
  ASSERT_TRUE(killed.ok()) << runtime_kit::outcome(killed);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status));
  EXPECT_EQ(runtime_kit::describe_status(status), "exited with 3");
  EXPECT_EQ(
      runtime_kit::read_to_end(c.out.get(), runtime_kit::Clock::now() + std::chrono::seconds(2)),
      "after-wait\n");
}

TEST_P(IsolationBackendConformance, TheProgramIsPidOneOfItsOwnPidNamespace) {
  Finished done;
  ASSERT_NO_FATAL_FAILURE(run_to_exit({"sh", "-c", "echo $$"}, done));
  EXPECT_EQ(runtime_kit::describe_status(done.status), "exited with 0") << done.err;
  EXPECT_EQ(done.out, "1\n");
}

TEST_P(IsolationBackendConformance, TheHostnameComesFromTheSpec) {
  Finished done;
  ASSERT_NO_FATAL_FAILURE(run_to_exit({"hostname"}, done));
  EXPECT_EQ(runtime_kit::describe_status(done.status), "exited with 0") << done.err;
  EXPECT_EQ(done.out, std::string(runtime_kit::kHostname) + "\n");
}

TEST_P(IsolationBackendConformance, TheUserCwdAndEnvComeFromTheSpec) {
  auto c = prepare({"sh", "-c", "id -u; id -g; pwd; echo $KIT"});
  c.spec["process"]["user"] = {{"uid", 1000}, {"gid", 1001}};
  c.spec["process"]["cwd"] = "/tmp";
  c.spec["process"]["env"].push_back("KIT=conformance");
  ASSERT_NO_FATAL_FAILURE(create_and_start(c));
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status));
  EXPECT_EQ(runtime_kit::describe_status(status), "exited with 0");
  EXPECT_EQ(
      runtime_kit::read_to_end(c.out.get(), runtime_kit::Clock::now() + std::chrono::seconds(2)),
      "1000\n1001\n/tmp\nconformance\n");
}

TEST_P(IsolationBackendConformance, TheMountTableIsTheContainersOwn) {
  // A mount only the kit's namespace has: it must not show inside.
  const auto marker = work_ / "host-only";
  std::filesystem::create_directories(marker);
  ASSERT_EQ(::mount("kit-marker", marker.c_str(), "tmpfs", 0, "size=64k"), 0)
      << std::strerror(errno);
  Finished done;
  ASSERT_NO_FATAL_FAILURE(run_to_exit({"cat", "/proc/self/mountinfo"}, done));
  EXPECT_EQ(runtime_kit::describe_status(done.status), "exited with 0") << done.err;
  const auto mounts = runtime_kit::parse_mountinfo(done.out);
  ASSERT_FALSE(mounts.empty()) << done.out;
  bool has_root = false;
  bool has_proc = false;
  for (const auto &[point, type] : mounts) {
    has_root = has_root || point == "/";
    has_proc = has_proc || (point == "/proc" && type == "proc");
    const bool expected = point == "/" || point == "/out" || point == "/proc" || point == "/dev" ||
                          point == "/sys" || point.rfind("/proc/", 0) == 0 ||
                          point.rfind("/dev/", 0) == 0 || point.rfind("/sys/", 0) == 0;
    EXPECT_TRUE(expected) << "a mount the spec did not ask for: " << point << " (" << type << ")\n"
                          << done.out;
    EXPECT_EQ(point.find("host-only"), std::string::npos) << "a host mount leaked in\n" << done.out;
  }
  EXPECT_TRUE(has_root) << done.out;
  EXPECT_TRUE(has_proc) << "no proc at /proc\n" << done.out;
}

TEST_P(IsolationBackendConformance, ProcSysIsReadOnly) {
  // Writes back the value already there, harmless even if the UTS namespace
  // were missing.
  Finished done;
  ASSERT_NO_FATAL_FAILURE(run_to_exit(
      {"sh", "-c",
       "read h < /proc/sys/kernel/hostname; (echo $h > /proc/sys/kernel/hostname) 2>/dev/null "
       "&& echo writable || echo read-only"},
      done));
  EXPECT_EQ(runtime_kit::describe_status(done.status), "exited with 0") << done.err;
  EXPECT_EQ(done.out, "read-only\n") << "readonlyPaths lists /proc/sys";
}

TEST_P(IsolationBackendConformance, ExecRunsAProcessInsideARunningContainer) {
  auto c = prepare({"sleep", "1000"});
  ASSERT_NO_FATAL_FAILURE(create_and_start(c));
  auto process = c.spec["process"];
  process["args"] = {"sh", "-c", "echo $$; hostname; exit 5"};
  auto out = runtime_kit::make_pipe();
  ProcessIo io;
  io.stdout_fd = out.write.get();
  auto pid = backend().exec(c.id, process, io);
  out.write.reset();
  ASSERT_TRUE(pid.ok()) << runtime_kit::outcome(pid);
  ASSERT_GT(*pid, 0);
  own(*pid);
  EXPECT_NE(*pid, c.pid);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(*pid, status));
  EXPECT_EQ(runtime_kit::describe_status(status), "exited with 5")
      << "an exec'd process's exit code must reach waitpid() in the subreaper";
  std::istringstream lines(runtime_kit::read_to_end(out.read.get(), runtime_kit::Clock::now() +
                                                                        std::chrono::seconds(2)));
  std::string inner_pid;
  std::string hostname;
  std::getline(lines, inner_pid);
  std::getline(lines, hostname);
  EXPECT_GT(std::atoi(inner_pid.c_str()), 1)
      << "joins the container's PID namespace: '" << inner_pid << "'";
  EXPECT_EQ(hostname, runtime_kit::kHostname) << "joins the container's UTS namespace";
}

TEST_P(IsolationBackendConformance, StatsReportMemoryPidsProcessesAndTheLimit) {
  auto c = prepare({"sleep", "1000"});
  ASSERT_NO_FATAL_FAILURE(create_and_start(c));
  auto stats = backend().stats(c.id);
  ASSERT_TRUE(stats.ok()) << runtime_kit::outcome(stats);
  EXPECT_GT(stats->memory_bytes, 0U);
  EXPECT_EQ(stats->memory_limit_bytes, runtime_kit::kMemoryLimit) << "linux.resources.memory.limit";
  EXPECT_GE(stats->pids, 1U);
  EXPECT_NE(std::find(stats->processes.begin(), stats->processes.end(), c.pid),
            stats->processes.end())
      << "processes lists host PIDs, the init's among them";
}

TEST_P(IsolationBackendConformance, AMissingExecutableFailsWithNotFoundAndLeavesNothing) {
  auto c = prepare({"/bin/berth-no-such-program"});
  auto created = create(c);
  if (created.ok()) {
    // Some runtimes find out only when they exec.
    auto started = backend().start(c.id);
    EXPECT_TRUE(runtime_kit::failed_with(started, Errc::not_found))
        << "start of a missing executable: " << runtime_kit::outcome(started);
  } else {
    EXPECT_TRUE(runtime_kit::failed_with(created, Errc::not_found))
        << "create of a missing executable: " << runtime_kit::outcome(created);
    auto state = backend().state(c.id);
    EXPECT_TRUE(runtime_kit::failed_with(state, Errc::not_found))
        << "a failed create leaves no state: " << runtime_kit::outcome(state);
    EXPECT_EQ(leftover_cgroups(c.id), std::vector<std::string>{})
        << "a failed create leaves no cgroups";
  }
  auto removed = backend().remove(c.id);
  EXPECT_TRUE(removed.ok() || runtime_kit::failed_with(removed, Errc::not_found))
      << runtime_kit::outcome(removed);

  // The id is free again.
  auto again = prepare({"true"});
  again.id = c.id;
  again.spec["linux"]["cgroupsPath"] = c.spec["linux"]["cgroupsPath"];
  ASSERT_NO_FATAL_FAILURE(create_and_start(again));
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(again.pid, status));
  EXPECT_EQ(runtime_kit::describe_status(status), "exited with 0");
}

// The kernel refuses a CPU quota under 1 ms only once the cgroups exist,
// half way through the create: what was made by then must go too.
TEST_P(IsolationBackendConformance, ALimitTheKernelRefusesFailsCreateAndLeavesNothing) {
  auto c = prepare({"true"});
  c.spec["linux"]["resources"]["cpu"] = {{"quota", 10}, {"period", 100000}};
  auto created = create(c);
  ASSERT_FALSE(created.ok()) << "a 10 us CPU quota was accepted";
  auto state = backend().state(c.id);
  EXPECT_TRUE(runtime_kit::failed_with(state, Errc::not_found))
      << "a failed create leaves no state: " << runtime_kit::outcome(state);
  EXPECT_EQ(leftover_cgroups(c.id), std::vector<std::string>{})
      << "a failed create leaves no cgroups";
}

TEST_P(IsolationBackendConformance, ATerminalArrivesOverTheConsoleSocket) {
  auto c = prepare(
      {"sh", "-c", "if test -t 0 && test -t 1; then echo is-a-tty; else echo not-a-tty; fi"});
  c.spec["process"]["terminal"] = true;
  c.spec["process"]["consoleSize"] = {{"height", 24}, {"width", 80}};
  c.spec["process"]["env"].push_back("TERM=xterm");
  runtime_kit::ConsoleSocket console(work_ / "console.sock");
  ASSERT_TRUE(console.error().empty()) << console.error();
  ProcessIo io;
  io.console_socket = (work_ / "console.sock").string();
  auto created = create(c, io);
  ASSERT_TRUE(created.ok()) << runtime_kit::outcome(created);
  auto master = console.receive_master(runtime_kit::Clock::now() + runtime_kit::kPatience);
  ASSERT_GE(master.get(), 0) << "no pty master arrived over the console socket";
  EXPECT_EQ(::isatty(master.get()), 1) << "what arrived is not a terminal";
  auto started = backend().start(c.id);
  ASSERT_TRUE(started.ok()) << runtime_kit::outcome(started);
  // Reading to EIO, the master's EOF, before reaping keeps the pty's small
  // buffer from ever filling.
  const auto text =
      runtime_kit::read_to_end(master.get(), runtime_kit::Clock::now() + runtime_kit::kPatience);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status));
  EXPECT_EQ(runtime_kit::describe_status(status), "exited with 0");
  EXPECT_NE(text.find("is-a-tty"), std::string::npos) << "read from the master: '" << text << "'";
}

TEST_P(IsolationBackendConformance, RemoveIsRepeatable) {
  auto c = prepare({"true"});
  auto created = create(c);
  ASSERT_TRUE(created.ok()) << runtime_kit::outcome(created);
  auto removed = backend().remove(c.id);
  ASSERT_TRUE(removed.ok()) << runtime_kit::outcome(removed);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status)) << "remove ends a created container's init";
  auto again = backend().remove(c.id);
  EXPECT_TRUE(runtime_kit::failed_with(again, Errc::not_found))
      << "a second remove finds nothing left: " << runtime_kit::outcome(again);
  auto state = backend().state(c.id);
  EXPECT_TRUE(runtime_kit::failed_with(state, Errc::not_found)) << runtime_kit::outcome(state);
}

TEST_P(IsolationBackendConformance, RemovingARunningContainerKillsIt) {
  auto c = prepare({"sleep", "1000"});
  ASSERT_NO_FATAL_FAILURE(create_and_start(c));
  auto removed = backend().remove(c.id);
  ASSERT_TRUE(removed.ok()) << runtime_kit::outcome(removed);
  int status = -1;
  ASSERT_NO_FATAL_FAILURE(reap(c.pid, status));
  EXPECT_TRUE(WIFSIGNALED(status)) << runtime_kit::describe_status(status);
  EXPECT_EQ(leftover_cgroups(c.id), std::vector<std::string>{})
      << "remove frees the container's cgroups";
  auto state = backend().state(c.id);
  EXPECT_TRUE(runtime_kit::failed_with(state, Errc::not_found)) << runtime_kit::outcome(state);
}

TEST_P(IsolationBackendConformance, RecoverReattachesToARunningContainer) {
  auto c = prepare({"sleep", "1000"});
  ASSERT_NO_FATAL_FAILURE(create_and_start(c));
  // A second instance over the same state directory and key-value store is
  // what the engine has after a restart.
  IsolationBackendUnderTest restarted(GetParam().entry, GetParam().options, host_);
  ASSERT_TRUE(restarted.ok()) << restarted.error() << restarted.skip_reason();
  auto recovered = restarted->recover(c.id);
  ASSERT_TRUE(recovered.ok()) << runtime_kit::outcome(recovered);
  EXPECT_EQ(recovered->id, c.id);
  EXPECT_STREQ(container_status_name(recovered->status), "running");
  EXPECT_EQ(recovered->pid, c.pid);
  auto unknown = restarted->recover("kit-never-created");
  EXPECT_TRUE(runtime_kit::failed_with(unknown, Errc::not_found)) << runtime_kit::outcome(unknown);
  auto same = backend().recover(c.id);
  ASSERT_TRUE(same.ok()) << "recover through the running instance: " << runtime_kit::outcome(same);
  EXPECT_EQ(same->pid, c.pid);
}

TEST_P(IsolationBackendConformance, FeaturesIsAnOciFeaturesDocument) {
  auto features = backend().features();
  ASSERT_TRUE(features.ok()) << runtime_kit::outcome(features);
  ASSERT_TRUE(features->is_object()) << features->dump();
  EXPECT_TRUE(features->contains("ociVersionMin") || features->contains("ociVersionMax"))
      << features->dump();
}

TEST_P(IsolationBackendConformance, TwoContainersRunSideBySide) {
  std::array<Container, 2> containers{prepare({"sh", "-c", "echo ready; exec sleep 1000"}),
                                      prepare({"sh", "-c", "echo ready; exec sleep 1000"})};
  std::array<std::string, 2> errors;
  std::mutex done_mutex;
  std::condition_variable done_changed;
  std::size_t done = 0;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < containers.size(); ++i) {
    threads.emplace_back([&, i] {
      auto created = create(containers[i]);
      if (!created.ok()) {
        errors[i] = "create: " + runtime_kit::outcome(created);
      } else if (auto started = backend().start(containers[i].id); !started.ok()) {
        errors[i] = "start: " + runtime_kit::outcome(started);
      }
      const std::lock_guard lock(done_mutex);
      ++done;
      done_changed.notify_all();
    });
  }
  {
    std::unique_lock lock(done_mutex);
    if (!done_changed.wait_for(lock, runtime_kit::kPatience,
                               [&] { return done == containers.size(); })) {
      ADD_FAILURE() << "create/start from two threads at once did not return within "
                    << runtime_kit::kPatience.count()
                    << "s. A backend that forks or clones from a multi-threaded caller may "
                       "only make async-signal-safe calls in the child: glibc's setgroups, "
                       "setgid and setuid wrappers, malloc and locks can wait there forever "
                       "for threads that exist only in the parent. Killing the stranded "
                       "container processes.";
      lock.unlock();
      for (const auto &c : containers) {
        kill_stranded(c.id);
      }
      for (auto &thread : threads) {
        thread.join();
      }
      return;
    }
  }
  for (auto &thread : threads) {
    thread.join();
  }
  const auto deadline = runtime_kit::Clock::now() + runtime_kit::kPatience;
  for (std::size_t i = 0; i < containers.size(); ++i) {
    ASSERT_EQ(errors[i], "") << containers[i].id;
    EXPECT_EQ(runtime_kit::read_line(containers[i].out.get(), deadline), "ready");
    auto state = backend().state(containers[i].id);
    ASSERT_TRUE(state.ok()) << runtime_kit::outcome(state);
    EXPECT_STREQ(container_status_name(state->status), "running");
  }
  EXPECT_NE(containers[0].pid, containers[1].pid);
}

} // namespace berth::sdk::testing
