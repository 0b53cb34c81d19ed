// The oci backend against the real runc and crun, loaded from its shared
// library the way berth loads it. Containers run busybox from a temporary
// rootfs, in cgroups under /berth-test-<pid>, from a private mount namespace
// so that no mount reaches the host.
#include "support/host_tools.hpp"
#include "support/hugetlb_binding.hpp"
#include "support/temp_dir.hpp"

#include <berth/sdk/runtime.hpp>
#include <berth/sdk/testing/plugin_conformance.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using sdk::ContainerStatus;
using sdk::Errc;

const fs::path kPlugin = fs::path(BERTH_PLUGIN_DIR) / "berth-oci.so";
const std::string kCgroupParent = "/berth-test-" + std::to_string(::getpid());

const berth_plugin_descriptor *oci_descriptor() {
  static const berth_plugin_descriptor *descriptor = [] {
    void *library = ::dlopen(kPlugin.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      return static_cast<const berth_plugin_descriptor *>(nullptr);
    }
    auto entry = reinterpret_cast<sdk::testing::EntryPoint>(::dlsym(library, "berth_plugin"));
    return entry != nullptr ? entry() : nullptr;
  }();
  return descriptor;
}

using BackendPtr = std::unique_ptr<sdk::IsolationBackend, void (*)(sdk::IsolationBackend *)>;

// Creates an instance with options; the error is the plugin's message, and
// skipped tells a "skip" from an error.
struct Created {
  BackendPtr backend{nullptr, nullptr};
  int rc = BERTH_ERROR;
  std::string message;
};

Created create_backend(sdk::HostServices &host, const nlohmann::json &options) {
  Created made;
  const auto *d = oci_descriptor();
  std::array<char, 1024> message{};
  void *instance = nullptr;
  made.rc = d->create(&host, options.dump().c_str(), &instance, message.data(), message.size());
  made.message = message.data();
  if (made.rc == BERTH_OK) {
    made.backend = BackendPtr(static_cast<sdk::IsolationBackend *>(instance),
                              [](sdk::IsolationBackend *b) { oci_descriptor()->destroy(b); });
  }
  return made;
}

// Waits (bounded) for pid, our child through the subreaper, and returns its
// wait status, or nullopt when it did not end in time.
std::optional<int> wait_exit(int pid, int seconds = 20) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd ready{pidfd, POLLIN, 0};
    const int n = ::poll(&ready, 1, seconds * 1000);
    ::close(pidfd);
    if (n <= 0) {
      return std::nullopt;
    }
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) {
    return std::nullopt;
  }
  return status;
}

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
    }
  }
  ~Pipe() {
    close_write();
    if (read >= 0) {
      ::close(read);
    }
  }
  Pipe(const Pipe &) = delete;
  Pipe &operator=(const Pipe &) = delete;
  void close_write() {
    if (write >= 0) {
      ::close(write);
      write = -1;
    }
  }
  // What is in the pipe now, without waiting for writers to close it.
  std::string available() const {
    ::fcntl(read, F_SETFL, O_NONBLOCK);
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(read, buffer, sizeof buffer)) > 0) {
      text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  }
};

// The caller's end of the OCI console-socket protocol: the runtime connects
// and sends the pty master with SCM_RIGHTS.
class ConsoleSocket {
public:
  explicit ConsoleSocket(fs::path path) : path_(std::move(path)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::bind(listener_, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
        ::listen(listener_, 1) != 0) {
      ::close(listener_);
      listener_ = -1;
    }
  }
  ~ConsoleSocket() {
    if (listener_ >= 0) {
      ::close(listener_);
    }
  }
  ConsoleSocket(const ConsoleSocket &) = delete;
  ConsoleSocket &operator=(const ConsoleSocket &) = delete;

  [[nodiscard]] bool ok() const { return listener_ >= 0; }
  [[nodiscard]] const fs::path &path() const { return path_; }

  // The master the runtime sent, or -1. create() has returned by now, so the
  // connection is already queued: nothing to wait for.
  int receive_master() const {
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) {
      return -1;
    }
    char data[256];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    int master = -1;
    if (::recvmsg(connection, &message, MSG_CMSG_CLOEXEC) > 0) {
      const cmsghdr *header = CMSG_FIRSTHDR(&message);
      if (header != nullptr && header->cmsg_type == SCM_RIGHTS) {
        std::memcpy(&master, CMSG_DATA(header), sizeof master);
      }
    }
    ::close(connection);
    return master;
  }

private:
  fs::path path_;
  int listener_ = -1;
};

class OciBackendTest : public ::testing::TestWithParam<const char *> {
protected:
  static void SetUpTestSuite() {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      suite_skip_ = "needs root for a private mount namespace";
    }
  }

  static void TearDownTestSuite() {
    remove_cgroup_parents();
    hugetlb_.release();
  }

  void SetUp() override {
    if (!suite_skip_.empty()) {
      GTEST_SKIP() << suite_skip_;
    }
    ASSERT_NE(oci_descriptor(), nullptr) << kPlugin << ": " << ::dlerror();
    if (!installed(runtime())) {
      GTEST_SKIP() << runtime() << " is not installed";
    }
    if (runtime() == std::string("crun")) {
      if (auto reason = hugetlb_.bind()) {
        GTEST_SKIP() << *reason;
      }
    }
    // The inits outlive the runtime binary; as subreaper this test reaps
    // them, as berth-shim does.
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    rootfs_ = make_rootfs();
    auto made = create_backend(host_, {{"binary", runtime()}, {"root", ""}});
    ASSERT_EQ(made.rc, BERTH_OK) << made.message;
    backend_ = std::move(made.backend);
    if (runtime() == std::string("crun")) {
      skip_if_hybrid_refused();
    }
  }

  void TearDown() override {
    for (const auto &id : ids_) {
      if (backend_) {
        (void)backend_->remove(id);
      }
    }
    for (int pid : pids_) {
      (void)wait_exit(pid, 5);
    }
    reap_zombie_children();
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  }

  static const char *runtime() { return GetParam(); }
  sdk::IsolationBackend &backend() { return *backend_; }

  std::string new_id() {
    static int counter = 0;
    ids_.push_back("oci-" + std::string(runtime()) + "-" + std::to_string(::getpid()) + "-" +
                   std::to_string(++counter));
    return ids_.back();
  }

  nlohmann::json spec_for(const std::string &id, const std::vector<std::string> &args) const {
    const nlohmann::json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    return {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", args},
          {"env", {"PATH=/bin", "HOME=/"}},
          {"cwd", "/"},
          {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
          {"noNewPrivileges", true}}},
        {"root", {{"path", rootfs_->path().string()}, {"readonly", true}}},
        {"hostname", "berth-test"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"},
           {"type", "devpts"},
           {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
          {{"destination", "/sys"},
           {"type", "sysfs"},
           {"source", "sysfs"},
           {"options", {"nosuid", "noexec", "nodev", "ro"}}}}},
        {"linux",
         {{"cgroupsPath", kCgroupParent + "/" + id},
          {"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
          {"namespaces",
           {{{"type", "pid"}},
            {{"type", "network"}},
            {{"type", "ipc"}},
            {{"type", "uts"}},
            {{"type", "mount"}}}},
          {"maskedPaths", {"/proc/kcore", "/sys/firmware"}},
          {"readonlyPaths", {"/proc/sys", "/proc/sysrq-trigger"}}}},
    };
  }

  // Writes the bundle (config.json beside a shared rootfs) and creates it.
  sdk::Result<sdk::ContainerState> create(const std::string &id,
                                          const std::vector<std::string> &args,
                                          const sdk::ProcessIo &io = {}) {
    const auto spec = spec_for(id, args);
    const auto bundle = bundles_.write(id + "/config.json", spec.dump(2)).parent_path();
    auto state = backend().create(id, bundle.string(), spec, io);
    if (state.ok()) {
      pids_.push_back(state->pid);
    }
    return state;
  }

  // A running `sleep 1000`.
  std::string start_sleeper() {
    const auto id = new_id();
    auto created = create(id, {"sleep", "1000"});
    EXPECT_TRUE(created.ok()) << created.error().describe();
    auto started = backend().start(id);
    EXPECT_TRUE(started.ok()) << started.error().describe();
    return id;
  }

  static bool cgroup_exists(const std::string &id) {
    return fs::exists("/sys/fs/cgroup/memory" + kCgroupParent + "/" + id);
  }

private:
  static std::unique_ptr<TempDir> make_rootfs() {
    auto rootfs = std::make_unique<TempDir>("berth-oci-rootfs");
    fs::create_directories(rootfs->path() / "bin");
    fs::copy_file("/bin/busybox", rootfs->path() / "bin/busybox");
    for (const char *tool : {"sh", "true", "echo", "cat", "sleep"}) {
      fs::create_symlink("busybox", rootfs->path() / "bin" / tool);
    }
    // A file that exists but may not be executed.
    rootfs->write("bin/not-executable", "#!/bin/sh\necho never\n");
    fs::permissions(rootfs->path() / "bin/not-executable", fs::perms::owner_read);
    return rootfs;
  }

  void skip_if_hybrid_refused() {
    const auto id = new_id();
    auto probe = create(id, {"true"});
    if (!probe.ok() && probe.error().code == Errc::unavailable) {
      GTEST_SKIP() << probe.error().describe();
    }
    ASSERT_TRUE(probe.ok()) << probe.error().describe();
    ASSERT_TRUE(backend().remove(id).ok());
  }

  // Zombies of this process: intermediate runtime processes reparented here.
  static void reap_zombie_children() {
    for (const auto &task : fs::directory_iterator("/proc/self/task")) {
      std::ifstream children(task.path() / "children");
      int pid = 0;
      while (children >> pid) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), {});
        const auto paren = text.rfind(')');
        if (paren != std::string::npos && text.size() > paren + 2 && text[paren + 2] == 'Z') {
          ::waitpid(pid, nullptr, WNOHANG);
        }
      }
    }
  }

  // The runtimes remove each container's cgroup but not the parent.
  static void remove_cgroup_parents() {
    std::error_code ec;
    for (const auto &hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      const auto parent = hierarchy.path().string() + kCgroupParent;
      if (fs::is_directory(parent, ec)) {
        for (const auto &child : fs::directory_iterator(parent, ec)) {
          if (child.is_directory(ec)) {
            ::rmdir(child.path().c_str());
          }
        }
        ::rmdir(parent.c_str());
      }
    }
  }

  static inline std::string suite_skip_;
  // crun 1.8.1 refuses a hybrid host unless hugetlb is on a v1 hierarchy;
  // bound in the suite's private mount namespace only.
  static inline HugetlbBinding hugetlb_;

  sdk::testing::TestHost host_;
  BackendPtr backend_{nullptr, nullptr};
  std::unique_ptr<TempDir> rootfs_;
  std::vector<std::string> ids_;

protected:
  TempDir bundles_{"berth-oci-bundles"};
  std::vector<int> pids_; // every init and exec'd process, reaped (bounded) at the end
};

TEST_P(OciBackendTest, CreateLeavesTheInitWaitingAndStartRunsIt) {
  const auto id = new_id();
  Pipe in, out;
  auto created =
      create(id, {"sh", "-c", "read line; echo got-$line; exit 3"}, {in.read, out.write, -1, ""});
  ASSERT_TRUE(created.ok()) << created.error().describe();
  out.close_write();
  EXPECT_EQ(created->status, ContainerStatus::created);
  EXPECT_GT(created->pid, 0);
  auto state = backend().state(id);
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->status, ContainerStatus::created);
  EXPECT_EQ(state->pid, created->pid);
  EXPECT_FALSE(state->oom_killed);
  EXPECT_TRUE(cgroup_exists(id)) << "the spec's cgroupsPath";

  ASSERT_TRUE(backend().start(id).ok());
  state = backend().state(id);
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->status, ContainerStatus::running);

  ASSERT_EQ(::write(in.write, "ping\n", 5), 5);
  const auto status = wait_exit(created->pid);
  ASSERT_TRUE(status.has_value()) << "the init did not exit";
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_EQ(out.available(), "got-ping\n");
  state = backend().state(id);
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->status, ContainerStatus::stopped);
  EXPECT_EQ(state->pid, 0);

  EXPECT_TRUE(backend().remove(id).ok());
  EXPECT_FALSE(cgroup_exists(id));
  EXPECT_EQ(backend().state(id).error().code, Errc::not_found);
  EXPECT_EQ(backend().remove(id).error().code, Errc::not_found) << "a second remove";
}

TEST_P(OciBackendTest, ATerminalProcessGetsItsPtyThroughTheConsoleSocket) {
  const auto id = new_id();
  auto spec = spec_for(id, {"sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo on-a-tty"});
  spec["process"]["terminal"] = true;
  EXPECT_EQ(backend().create(id, bundles_.path().string(), spec, {}).error().code,
            Errc::invalid_argument)
      << "a terminal needs a console socket";

  ConsoleSocket console(bundles_.path() / "console.sock");
  ASSERT_TRUE(console.ok()) << std::strerror(errno);
  const auto bundle = bundles_.write(id + "/config.json", spec.dump()).parent_path();
  auto created = backend().create(id, bundle.string(), spec, {-1, -1, -1, console.path()});
  ASSERT_TRUE(created.ok()) << created.error().describe();
  pids_.push_back(created->pid);
  const int master = console.receive_master();
  ASSERT_GE(master, 0) << "no pty master arrived on the console socket";
  ASSERT_TRUE(backend().start(id).ok());
  const auto status = wait_exit(created->pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "stdin/stdout are not a tty";
  char buffer[256] = {};
  const ssize_t n = ::read(master, buffer, sizeof buffer - 1);
  ::close(master);
  EXPECT_NE(std::string(buffer, n > 0 ? n : 0).find("on-a-tty"), std::string::npos);
}

TEST_P(OciBackendTest, KillWithSigkillStopsTheInit) {
  const auto id = start_sleeper();
  const int pid = backend().state(id)->pid;
  ASSERT_TRUE(backend().kill(id, SIGKILL, false).ok());
  const auto status = wait_exit(pid);
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGKILL);
  EXPECT_EQ(backend().state(id)->status, ContainerStatus::stopped);
  EXPECT_TRUE(backend().remove(id).ok());
}

TEST_P(OciBackendTest, RemoveKillsWhatStillRuns) {
  const auto id = start_sleeper();
  const int pid = backend().state(id)->pid;
  ASSERT_TRUE(backend().remove(id).ok());
  ASSERT_TRUE(wait_exit(pid).has_value()) << "the init survived remove";
  EXPECT_FALSE(cgroup_exists(id));
}

TEST_P(OciBackendTest, CreatingATakenIdFailsAndLeavesTheFirstContainerAlone) {
  const auto id = start_sleeper();
  auto again = backend().create(id, bundles_.path().string(), spec_for(id, {"true"}), {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::already_exists) << again.error().describe();
  auto state = backend().state(id);
  ASSERT_TRUE(state.ok()) << state.error().describe();
  EXPECT_EQ(state->status, ContainerStatus::running);
}

TEST_P(OciBackendTest, ExecRunsAProcessInsideWithTheGivenStdio) {
  const auto id = start_sleeper();
  Pipe out;
  const nlohmann::json process = {
      {"terminal", false},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh", "-c", "echo exec-$((6 * 7)) $(cat /proc/sys/kernel/hostname)"}},
      {"env", {"PATH=/bin"}},
      {"cwd", "/"}};
  auto pid = backend().exec(id, process, {-1, out.write, -1, ""});
  ASSERT_TRUE(pid.ok()) << pid.error().describe();
  out.close_write();
  const auto status = wait_exit(*pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  EXPECT_EQ(out.available(), "exec-42 berth-test\n");
}

TEST_P(OciBackendTest, StatsReportTheRunningContainersMemoryAndProcesses) {
  const auto id = start_sleeper();
  const int pid = backend().state(id)->pid;
  auto stats = backend().stats(id);
  ASSERT_TRUE(stats.ok()) << stats.error().describe();
  EXPECT_GT(stats->memory_bytes, 0U);
  EXPECT_NE(std::find(stats->processes.begin(), stats->processes.end(), pid),
            stats->processes.end());
  ASSERT_TRUE(backend().kill(id, SIGKILL, true).ok());
}

TEST_P(OciBackendTest, AMissingExecutableIsNotFoundAndLeavesNothing) {
  const auto id = new_id();
  auto created = create(id, {"/bin/no-such-program"});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, Errc::not_found) << created.error().describe();
  EXPECT_EQ(created.error().describe().find('\n'), std::string::npos);
  EXPECT_EQ(backend().state(id).error().code, Errc::not_found);
  EXPECT_EQ(backend().remove(id).error().code, Errc::not_found);
  EXPECT_FALSE(cgroup_exists(id));
}

TEST_P(OciBackendTest, AFileWithoutExecutePermissionIsPermissionDenied) {
  const auto id = new_id();
  auto created = create(id, {"/bin/not-executable"});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, Errc::permission) << created.error().describe();
  EXPECT_EQ(backend().state(id).error().code, Errc::not_found);
}

TEST_P(OciBackendTest, RecoverFindsAContainerByIdAndOnlyThen) {
  const auto id = start_sleeper();
  auto recovered = backend().recover(id);
  ASSERT_TRUE(recovered.ok()) << recovered.error().describe();
  EXPECT_EQ(recovered->status, ContainerStatus::running);
  EXPECT_GT(recovered->pid, 0);
  EXPECT_EQ(backend().recover("oci-never-created").error().code, Errc::not_found);
}

TEST_P(OciBackendTest, FeaturesNameTheSpecVersions) {
  auto features = backend().features();
  ASSERT_TRUE(features.ok()) << features.error().describe();
  EXPECT_TRUE(features->contains("ociVersionMin")) << features->dump();
  EXPECT_TRUE(features->contains("ociVersionMax")) << features->dump();
}

INSTANTIATE_TEST_SUITE_P(Oci, OciBackendTest, ::testing::Values("runc", "crun"),
                         [](const auto &info) { return std::string(info.param); });

TEST(OciPlugin, PassesTheHandshake) {
  ASSERT_NE(oci_descriptor(), nullptr) << kPlugin;
  sdk::testing::expect_handshake_passes([] { return oci_descriptor(); });
}

TEST(OciPlugin, SkipsWithTheReasonWhenTheBinaryIsMissing) {
  ASSERT_NE(oci_descriptor(), nullptr) << kPlugin;
  sdk::testing::TestHost host;
  auto made = create_backend(host, {{"binary", "no-such-runtime"}, {"root", ""}});
  EXPECT_EQ(made.rc, BERTH_SKIP);
  EXPECT_NE(made.message.find("no-such-runtime"), std::string::npos) << made.message;
}

} // namespace
} // namespace berth::testing
