#include "support/scratch_engine.hpp"

#include "support/host_tools.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace berth::benchmarks {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path &file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t read_number(const fs::path &file) {
  std::ifstream in(file);
  std::uint64_t value = 0;
  in >> value;
  return value;
}

// Mount points under dir in this mount namespace, deepest first.
std::vector<std::string> mounts_under(const fs::path &dir) {
  std::ifstream info("/proc/self/mountinfo");
  std::vector<std::string> found;
  std::string line;
  const auto prefix = dir.string() + "/";
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string id;
    std::string parent;
    std::string device;
    std::string root;
    std::string point;
    fields >> id >> parent >> device >> root >> point;
    if (point.rfind(prefix, 0) == 0) {
      found.push_back(point);
    }
  }
  std::sort(found.begin(), found.end(), std::greater<>());
  return found;
}

// podman with cgroupfs leaves libpod_parent/conmon in every hierarchy.
std::vector<fs::path> podman_parents() {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto &hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (fs::exists(hierarchy.path() / "libpod_parent")) {
      found.push_back(hierarchy.path() / "libpod_parent");
    }
  }
  return found;
}

[[noreturn]] void exec_child(const std::vector<char *> &argv, const std::string &tasks,
                             const std::string &out, const std::string &err) {
  // "0" is the writer itself; nothing after fork allocates. The forked child
  // has one thread, so moving it through v1's `tasks` moves the process
  // without the RCU grace period a cgroup.procs write waits for, which
  // would add about 15 ms to every row and flatter the fast ones' ratios.
  const int cgroup = ::open(tasks.c_str(), O_WRONLY | O_CLOEXEC);
  if (cgroup < 0 || ::write(cgroup, "0", 1) != 1) {
    ::_exit(126);
  }
  ::dup2(::open("/dev/null", O_RDONLY), 0);
  ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
  ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

} // namespace

std::string first_line(const std::string &text) {
  return text.substr(0, text.find('\n'));
}

ScratchEngine::ScratchEngine(const std::string &name) {
  std::string pattern = "/var/tmp/berth-" + name + "-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    error_ = "cannot make " + pattern + ": " + std::strerror(errno);
    return;
  }
  dir_ = pattern;
  cgroup_ = fs::path("/sys/fs/cgroup/cpuacct") /
            ("berth-" + name + "-bench-" + std::to_string(::getpid()));
  std::error_code ec;
  if (fs::create_directories(cgroup_, ec); ec) {
    error_ = "cannot make " + cgroup_.string() + ": " + ec.message();
  }
}

ScratchEngine::~ScratchEngine() {
  if (dir_.empty()) {
    return;
  }
  run(berth({"container", "prune"}));
  if (podman_tried_) {
    run(podman({"rm", "-af", "-t", "0"}));
    run(podman({"rmi", "-af"}));
    remove_podman_parents();
  }
  for (int tries = 0; tries < 100 && ::rmdir(cgroup_.c_str()) != 0 && errno == EBUSY; ++tries) {
    ::usleep(10000);
  }
  for (const auto &point : mounts_under(dir_)) {
    ::umount2(point.c_str(), MNT_DETACH);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Sample ScratchEngine::run(const std::vector<std::string> &args) {
  const auto out = (dir_ / "stdout").string();
  const auto err = (dir_ / "stderr").string();
  const auto tasks = (cgroup_ / "tasks").string();
  std::vector<char *> argv;
  argv.reserve(args.size() + 1);
  for (const auto &arg : args) {
    argv.push_back(const_cast<char *>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const auto cpu_before = read_number(cgroup_ / "cpuacct.usage");
  const auto start = std::chrono::steady_clock::now();
  const int pid = ::fork();
  if (pid == 0) {
    exec_child(argv, tasks, out, err);
  }
  Sample sample;
  ::waitpid(pid, &sample.status, 0);
  sample.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  sample.cpu_ms = static_cast<double>(read_number(cgroup_ / "cpuacct.usage") - cpu_before) / 1e6;
  sample.output = read_text(out);
  sample.error = first_line(read_text(err));
  return sample;
}

std::vector<std::string> ScratchEngine::berth(std::vector<std::string> args) const {
  args.insert(args.begin(), {BERTH_EXECUTABLE, "--root", root().string()});
  return args;
}

std::vector<std::string> ScratchEngine::podman(std::vector<std::string> args) const {
  const bool crun = testing::hugetlb_on_v1() && testing::installed("crun");
  args.insert(args.begin(),
              {"podman", "--root", (dir_ / "podman").string(), "--runroot",
               (dir_ / "podman-run").string(), "--cgroup-manager=cgroupfs", "--events-backend=file",
               "--storage-driver=overlay", crun ? "--runtime=crun" : "--runtime=runc"});
  return args;
}

bool ScratchEngine::make_image(const fs::path &rootfs, const std::vector<std::string> &tools) {
  std::error_code ec;
  fs::create_directories(rootfs / "bin", ec);
  fs::create_directories(rootfs / "etc", ec);
  fs::copy_file("/bin/busybox", rootfs / "bin" / "busybox", ec);
  if (ec) {
    error_ = "cannot copy /bin/busybox: " + ec.message() + "; install busybox-static";
    return false;
  }
  for (const auto &tool : tools) {
    fs::create_symlink("busybox", rootfs / "bin" / tool, ec);
  }
  std::ofstream(rootfs / "etc" / "passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  const auto archive = (dir_ / "rootfs.tar").string();
  if (auto tar = run({"tar", "-C", rootfs.string(), "-cf", archive, "."}); tar.status != 0) {
    error_ = "tar: " + tar.error;
    return false;
  }
  auto imported = run(berth({"import", archive, "bench:latest"}));
  if (imported.status != 0) {
    error_ = "berth import: " + imported.error;
  }
  return imported.status == 0;
}

bool ScratchEngine::load_podman() {
  if (!testing::installed("podman")) {
    return false;
  }
  podman_parents_before_ = podman_parents();
  podman_tried_ = true;
  const auto archive = (dir_ / "image.tar").string();
  podman_ = run(berth({"save", "-o", archive, "bench:latest"})).status == 0 &&
            run(podman({"load", "-i", archive})).status == 0;
  return podman_;
}

// Only the parents this run made, and only while empty: conmon outlives
// `podman run --rm` by a moment.
void ScratchEngine::remove_podman_parents() const {
  for (int tries = 0; tries < 100; ++tries) {
    bool left = false;
    for (const auto &parent : podman_parents()) {
      if (std::find(podman_parents_before_.begin(), podman_parents_before_.end(), parent) ==
          podman_parents_before_.end()) {
        ::rmdir((parent / "conmon").c_str());
        left = ::rmdir(parent.c_str()) != 0 || left;
      }
    }
    if (!left) {
      return;
    }
    ::usleep(20000);
  }
}

} // namespace berth::benchmarks
