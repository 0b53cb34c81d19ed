#include "container_fixture.hpp"

#include "support/image_builder.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ContainerTest::suite_skip_;
std::unique_ptr<TempDir> ContainerTest::image_dir_;
fs::path ContainerTest::image_tar_;

namespace {

const char *const kStack = BERTH_SOURCE_DIR "/examples/stacks/default.yaml";

std::string slurp(const fs::path &file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The state letter of /proc/<pid>/stat ('Z' for a zombie), or 0 when the
// process is gone.
char process_state(int pid) {
  const auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || stat.size() < paren + 3 ? '\0' : stat[paren + 2];
}

std::string process_name(int pid) {
  auto name = slurp("/proc/" + std::to_string(pid) + "/comm");
  if (!name.empty() && name.back() == '\n') {
    name.pop_back();
  }
  return name;
}

bool is_full_id(const std::string &id) {
  return id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// This process's children, from every thread's children list.
std::vector<int> own_children() {
  std::vector<int> children;
  std::error_code ec;
  for (const auto &task : fs::directory_iterator("/proc/self/task", ec)) {
    std::ifstream list(task.path() / "children");
    int pid = 0;
    while (list >> pid) {
      children.push_back(pid);
    }
  }
  return children;
}

// busybox with a link per applet, and the users the tests switch to.
} // namespace

std::vector<TarEntry> ContainerTest::busybox_entries() {
  std::vector<TarEntry> entries = {dir("bin"), dir("etc"),        dir("dev"),        dir("proc"),
                                   dir("sys"), dir("root", 0700), dir("tmp", 01777), dir("var")};
  entries.push_back(file("bin/busybox", slurp("/bin/busybox"), 0755));
  const auto applets = run_process({"/bin/busybox", "--list"});
  EXPECT_EQ(applets.exit_code, 0) << applets.err;
  std::istringstream names(applets.out);
  std::string name;
  while (std::getline(names, name)) {
    if (!name.empty() && name != "busybox") {
      entries.push_back(symlink("bin/" + name, "busybox"));
    }
  }
  entries.push_back(file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                       "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"));
  entries.push_back(file("etc/group", "root:x:0:\nnogroup:x:65534:\n"));
  return entries;
}

namespace {

bool loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  const bool up = fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &request) == 0 &&
                  (request.ifr_flags |= IFF_UP, ::ioctl(fd, SIOCSIFFLAGS, &request) == 0);
  if (fd >= 0) {
    ::close(fd);
  }
  return up;
}

} // namespace

void ContainerTest::SetUpTestSuite() {
  suite_skip_.clear();
  if (::geteuid() != 0) {
    suite_skip_ = "containers need root";
    return;
  }
  if (!fs::exists("/bin/busybox")) {
    suite_skip_ = "needs /bin/busybox (busybox-static) for the test image";
    return;
  }
  // Private to this process and its children; see the header.
  if (::unshare(CLONE_NEWNS) != 0 ||
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    suite_skip_ = std::string("cannot make a private mount namespace: ") + std::strerror(errno);
    return;
  }
  // Containers land on the default bridge: its bridge, veths, nftables rules
  // and sysctls must live in a namespace of the test's own, never the host's.
  if (::unshare(CLONE_NEWNET) != 0 || !loopback_up()) {
    suite_skip_ = std::string("cannot make a private network namespace: ") + std::strerror(errno);
    return;
  }
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    suite_skip_ = std::string("cannot become a child subreaper: ") + std::strerror(errno);
    return;
  }
  image_dir_ = std::make_unique<TempDir>("berth-containers-image");
  image_tar_ = image_dir_->path() / "busybox.tar";
  write_tar(image_tar_, busybox_entries());
}

void ContainerTest::TearDownTestSuite() {
  image_dir_.reset();
}

void ContainerTest::SetUp() {
  if (!suite_skip_.empty()) {
    GTEST_SKIP() << suite_skip_;
  }
  // A fresh network namespace per test: each test's root makes its own
  // default bridge, which must not meet the previous test's.
  ASSERT_TRUE(::unshare(CLONE_NEWNET) == 0 && loopback_up())
      << "cannot make a private network namespace: " << std::strerror(errno);
  tmp_ = std::make_unique<TempDir>("berth-containers");
  root_ = tmp_->path() / "root";
  const auto imported = berth({"import", image_tar_.string(), kImage});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
}

void ContainerTest::TearDown() {
  if (!tmp_) {
    return;
  }
  remove_everything();
  tmp_.reset();
}

void ContainerTest::remove_everything() {
  const auto ids = all_ids();
  std::set<std::string> every(tracked_.begin(), tracked_.end());
  std::copy_if(ids.begin(), ids.end(), std::inserter(every, every.end()), is_full_id);
  std::set<int> monitors;
  for (const auto &id : every) {
    if (const int pid = state_file(id).value("monitorPid", 0); pid > 0) {
      monitors.insert(pid);
    }
  }
  if (!ids.empty()) {
    std::vector<std::string> rm{"rm", "-f"};
    rm.insert(rm.end(), ids.begin(), ids.end());
    const auto removed = berth(rm);
    EXPECT_EQ(removed.exit_code, 0) << "rm -f of every container: " << removed.err;
    EXPECT_TRUE(all_ids().empty()) << "containers left after rm -f";
  }
  // Every shim is our child (we are its subreaper): none may outlive rm.
  for (int pid : own_children()) {
    if (process_name(pid) != "berth-shim") {
      continue;
    }
    if (!wait_child(pid, 10s).exited) {
      ADD_FAILURE() << "berth-shim " << pid << " is still alive after rm -f";
      ::kill(pid, SIGKILL);
      (void)wait_child(pid, 5s);
    }
  }
  // The same seen from state.json, should a shim have escaped us.
  for (int pid : monitors) {
    EXPECT_FALSE(process_alive(pid) && process_name(pid) == "berth-shim")
        << "berth-shim " << pid << " from a state.json is still alive";
  }
  // Anything else of ours is a container process whose shim died: by now
  // berth should have killed it.
  for (int pid : own_children()) {
    if (process_state(pid) != 'Z') {
      ADD_FAILURE() << "process " << pid << " (" << process_name(pid) << ") outlived its container";
      ::kill(pid, SIGKILL);
    }
    (void)wait_child(pid, 5s);
  }
  for (const auto &id : every) {
    for (const auto &dir : cgroup_dirs(id)) {
      ADD_FAILURE() << "cgroup left behind: " << dir;
      ::rmdir(dir.c_str());
    }
  }
  const auto left = mounts_under(root_ / "containers");
  EXPECT_TRUE(left.empty()) << "mounted after rm -f: " << (left.empty() ? "" : left.front());
  auto mounts = mounts_under(root_);
  std::reverse(mounts.begin(), mounts.end());
  for (const auto &mount : mounts) {
    ::umount2(mount.c_str(), MNT_DETACH);
  }
}

Completed ContainerTest::berth(const std::vector<std::string> &args) const {
  return berth_at(root_, args);
}

Completed ContainerTest::berth_at(const std::filesystem::path &root,
                                  const std::vector<std::string> &args,
                                  const std::filesystem::path &stack) {
  std::vector<std::string> argv{"/usr/bin/timeout", "-k",     "5",          "60",
                                BERTH_EXECUTABLE,   "--root", root.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {{"BERTH_STACK", stack.empty() ? kStack : stack.string()}});
}

int ContainerTest::spawn_berth(const std::vector<std::string> &args) const {
  std::vector<std::string> argv{BERTH_EXECUTABLE, "--root", root_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char *> pointers;
  for (auto &arg : argv) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  const pid_t child = ::fork();
  if (child == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::setenv("BERTH_STACK", kStack, 1);
    ::execv(pointers.front(), pointers.data());
    ::_exit(127);
  }
  return child;
}

Completed ContainerTest::shell(const std::string &script) const {
  return run_process({"/bin/sh", "-c", script},
                     {{"BERTH_STACK", kStack},
                      {"BERTH", std::string(BERTH_EXECUTABLE) + " --root " + root_.string()}});
}

void ContainerTest::track(const std::string &id) {
  if (is_full_id(id)) {
    tracked_.insert(id);
  }
}

std::string ContainerTest::run_detached(const std::vector<std::string> &args) {
  std::vector<std::string> argv{"run", "-d"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto started = berth(argv);
  EXPECT_EQ(started.exit_code, 0) << started.err;
  auto id = started.out;
  if (!id.empty() && id.back() == '\n') {
    id.pop_back();
  }
  EXPECT_EQ(id.size(), 64U) << "run -d prints the full id, got: " << started.out;
  track(id);
  return id;
}

nlohmann::json ContainerTest::inspect(const std::string &container) const {
  const auto done = berth({"inspect", container});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  auto list = nlohmann::json::parse(done.out, nullptr, false);
  if (!list.is_array() || list.size() != 1) {
    ADD_FAILURE() << "inspect " << container << " printed: " << done.out;
    return nlohmann::json::object();
  }
  return list[0];
}

nlohmann::json ContainerTest::state_file(const std::string &id) const {
  auto state =
      nlohmann::json::parse(slurp(root_ / "containers" / id / "state.json"), nullptr, false);
  return state.is_object() ? state : nlohmann::json::object();
}

std::vector<std::string> ContainerTest::all_ids() const {
  const auto listed = berth({"ps", "-aq", "--no-trunc"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  return lines(listed.out);
}

bool ContainerTest::log_shows(const std::string &container, const std::string &text,
                              std::chrono::milliseconds limit) const {
  return eventually(
      [&] {
        const auto logs = berth({"logs", container});
        return (logs.out + logs.err).find(text) != std::string::npos;
      },
      limit);
}

bool ContainerTest::eventually(const std::function<bool()> &ready,
                               std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

ChildExit ContainerTest::wait_child(int pid, std::chrono::milliseconds limit) {
  ChildExit result;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    result.exited = errno == ESRCH; // already reaped
    return result;
  }
  pollfd ready{pidfd, POLLIN, 0};
  const int n = ::poll(&ready, 1, static_cast<int>(limit.count()));
  ::close(pidfd);
  if (n <= 0) {
    return result;
  }
  result.exited = true;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) {
    result.status = status;
  }
  return result;
}

bool ContainerTest::process_alive(int pid) {
  const char state = process_state(pid);
  return state != '\0' && state != 'Z' && state != 'X';
}

std::vector<fs::path> ContainerTest::cgroup_dirs(const std::string &id) {
  std::vector<fs::path> found;
  if (!is_full_id(id)) {
    ADD_FAILURE() << "not a container id: '" << id << "'";
    return found;
  }
  std::error_code ec;
  for (const auto &hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    const auto dir = hierarchy.path() / "berth" / id;
    if (fs::is_directory(dir, ec)) {
      found.push_back(dir);
    }
  }
  return found;
}

std::set<std::string> ContainerTest::memory_cgroups() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator("/sys/fs/cgroup/memory/berth", ec)) {
    if (entry.is_directory(ec)) {
      names.insert(entry.path().filename().string());
    }
  }
  return names;
}

std::vector<std::string> ContainerTest::mounts_under(const fs::path &prefix) {
  std::vector<std::string> found;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  const auto wanted = prefix.string() + "/";
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, source, target;
    fields >> id >> parent >> device >> source >> target;
    if (target.starts_with(wanted) || target == prefix.string()) {
      found.push_back(target);
    }
  }
  return found;
}

std::vector<std::string> ContainerTest::lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(line);
  }
  return out;
}

} // namespace berth::testing
