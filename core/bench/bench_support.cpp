#include "bench/bench_support.hpp"

#include "host/host_facts.hpp"
#include "plugin/host_services.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace berth::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char *kScratchPrefix = "berth-bench-";

bool loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  up = up && ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  ::close(fd);
  return up;
}

// The PID in "berth-bench-PID-XXXXXX", or 0.
pid_t owner_of(const std::string &name) {
  if (!name.starts_with(kScratchPrefix)) {
    return 0;
  }
  return static_cast<pid_t>(std::atol(name.c_str() + std::strlen(kScratchPrefix)));
}

// A run killed with SIGKILL cannot clean up; the next one does it for it.
void remove_dead_runs(const fs::path &parent) {
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(parent, ec)) {
    const pid_t pid = owner_of(entry.path().filename().string());
    if (pid > 0 && process_gone(pid)) {
      remove_tree(entry.path());
    }
  }
}

std::vector<fs::path> mount_points() {
  std::vector<fs::path> points;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    points.emplace_back(point);
  }
  return points;
}

std::string os_release() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("PRETTY_NAME=")) {
      auto value = line.substr(12);
      value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
      return value;
    }
  }
  return "unknown";
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line
                                        : line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string filesystem_name(long type) {
  switch (static_cast<unsigned long>(type)) {
  case 0xEF53: return "ext4";
  case 0x58465342: return "xfs";
  case 0x9123683E: return "btrfs";
  case 0x01021994: return "tmpfs";
  case 0x794c7630: return "overlay";
  case 0x2FC12FC1: return "zfs";
  default: break;
  }
  std::ostringstream hex;
  hex << "type 0x" << std::hex << type;
  return hex.str();
}

std::string filesystem_of(const fs::path &dir) {
  struct statfs info {};
  if (::statfs(dir.c_str(), &info) != 0) {
    return "unknown";
  }
  return filesystem_name(info.f_type) + " at " + dir.parent_path().string();
}

} // namespace

sdk::Result<void> enter_private_namespaces() {
  static bool entered = false;
  if (entered) {
    return {};
  }
  if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) {
    return sdk::errno_error("unshare(CLONE_NEWNS | CLONE_NEWNET)",
                            "berth bench runs in private namespaces; run it as root");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return sdk::errno_error("make the mount namespace private",
                            "berth bench (it needs root and a kernel with mount namespaces)");
  }
  if (!loopback_up()) {
    return sdk::errno_error("bring lo up",
                            "berth bench's own network namespace (it needs CAP_NET_ADMIN)");
  }
  entered = true;
  return {};
}

sdk::Result<void> enter_fresh_network_namespace() {
  if (::unshare(CLONE_NEWNET) != 0) {
    return sdk::errno_error("unshare(CLONE_NEWNET)", "a network namespace for the next subject");
  }
  if (!loopback_up()) {
    return sdk::errno_error("bring lo up", "a network namespace for the next subject");
  }
  return {};
}

sdk::Result<ScratchDir> ScratchDir::make(const fs::path &parent) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  remove_dead_runs(parent);
  auto pattern = (parent / (kScratchPrefix + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return sdk::errno_error("mkdtemp", parent.string() + " (choose another with --scratch DIR)");
  }
  return ScratchDir(pattern);
}

ScratchDir::~ScratchDir() {
  if (!path_.empty()) {
    remove_tree(path_);
  }
}

ScratchDir::ScratchDir(ScratchDir &&other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

void unmount_under(const fs::path &dir) {
  const auto prefix = dir.string() + "/";
  auto points = mount_points();
  std::sort(points.begin(), points.end(),
            [](const fs::path &a, const fs::path &b) { return a.string() > b.string(); });
  for (const auto &point : points) {
    if (point == dir || point.string().starts_with(prefix)) {
      ::umount2(point.c_str(), MNT_DETACH);
    }
  }
}

void remove_tree(const fs::path &dir) {
  unmount_under(dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

MachineFacts probe_machine(const fs::path &scratch, const std::string &berth_version) {
  const auto host = probe_host();
  MachineFacts facts;
  facts.kernel = host.kernel + " (" + host.architecture + ")";
  facts.os = os_release();
  facts.cpu_model = cpu_model();
  facts.cores = host.cpus;
  facts.memory_bytes = host.memory_bytes;
  facts.filesystem = filesystem_of(scratch);
  facts.cgroup = host.cgroup;
  facts.berth_version = berth_version;
  return facts;
}

bool interrupted() noexcept {
  return cancellation_flag().load();
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double mib_per_s(std::uint64_t bytes, Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return seconds > 0 ? static_cast<double>(bytes) / (1024.0 * 1024.0) / seconds : 0;
}

bool process_gone(int pid) noexcept {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

void report_progress(
    const std::function<void(const std::string &, std::uint64_t, std::uint64_t)> &progress,
    const std::string &label, std::uint64_t done, std::uint64_t total) {
  if (progress) {
    progress(label, done, total);
  }
}

Measurement &measurement_of(Report &report, const std::string &workload,
                            const std::string &subject) {
  for (auto &measurement : report.measurements) {
    if (measurement.workload == workload && measurement.subject == subject) {
      return measurement;
    }
  }
  Measurement made;
  made.workload = workload;
  made.subject = subject;
  report.measurements.push_back(made);
  return report.measurements.back();
}

void add_sample(Report &report, const std::string &workload, const std::string &subject,
                double value) {
  measurement_of(report, workload, subject).samples.push_back(value);
}

void fail(Report &report, const std::string &workload, const std::string &subject,
          const std::string &error) {
  auto &measurement = measurement_of(report, workload, subject);
  if (measurement.error.empty()) {
    measurement.error = error;
    measurement.samples.clear();
  }
}

void fail_subject(Report &report, const std::string &subject, const std::string &reason) {
  for (auto &entry : report.subjects) {
    if (entry.name == subject && entry.status == "ok") {
      entry.status = "failed";
      entry.reason = reason;
    }
  }
}

} // namespace berth::bench
