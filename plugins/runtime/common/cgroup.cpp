#include "common/cgroup.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;

// The v1 controllers berth limits or reads; others (cpuset, blkio)
// are left to the parent cgroup.
constexpr std::array<const char *, 5> kV1Controllers = {"memory", "cpu", "cpuacct", "pids",
                                                        "devices"};

struct Hierarchies {
  std::string unified;                              // mount point, "" if none
  bool unified_has_controllers = false;             // a pure v2 host
  std::vector<std::pair<std::string, fs::path>> v1; // controller -> mount point
  std::vector<fs::path> all; // every cgroup mount, berth's controllers or not
};

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) {
    parts.push_back(part);
  }
  return parts;
}

// From /proc/self/mountinfo, so it follows whatever this mount namespace
// shows rather than assuming /sys/fs/cgroup's layout.
Hierarchies read_hierarchies() {
  Hierarchies found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) {
      continue;
    }
    const auto before = split(line.substr(0, dash), ' ');
    const auto after = split(line.substr(dash + 3), ' ');
    if (before.size() < 5 || after.size() < 3) {
      continue;
    }
    const auto &mount_point = before[4];
    if (after[0] == "cgroup2" || after[0] == "cgroup") {
      found.all.emplace_back(mount_point);
    }
    if (after[0] == "cgroup2" && found.unified.empty()) {
      found.unified = mount_point;
    } else if (after[0] == "cgroup") {
      for (const auto &option : split(after[2], ',')) {
        for (const char *controller : kV1Controllers) {
          if (option == controller) {
            found.v1.emplace_back(controller, mount_point);
          }
        }
      }
    }
  }
  if (!found.unified.empty()) {
    std::ifstream controllers(found.unified + "/cgroup.controllers");
    std::string names;
    std::getline(controllers, names);
    found.unified_has_controllers = found.v1.empty() && !names.empty();
  }
  return found;
}

const Hierarchies &hierarchies() {
  static const Hierarchies found = read_hierarchies();
  return found;
}

// Every directory this cgroup has, unified first.
std::vector<fs::path> directories(const std::string &path) {
  const auto &h = hierarchies();
  std::vector<fs::path> dirs;
  const auto relative = fs::path(path).relative_path();
  if (!h.unified.empty()) {
    dirs.push_back(fs::path(h.unified) / relative);
  }
  for (const auto &[controller, mount] : h.v1) {
    auto dir = mount / relative;
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(dir);
    }
  }
  return dirs;
}

// directories() and the same path in every other cgroup mount, where an OCI
// runtime may have made it too (crun fills blkio and name=systemd).
std::vector<fs::path> every_directory(const std::string &path) {
  auto dirs = directories(path);
  for (const auto &mount : hierarchies().all) {
    auto dir = mount / fs::path(path).relative_path();
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(dir);
    }
  }
  return dirs;
}

// Where hold_cgroup_parents() locks: a hierarchy's root, which is never
// removed and is the same inode in every mount namespace.
const std::string &lock_root() {
  static const std::string root = !hierarchies().unified.empty() ? hierarchies().unified
                                  : hierarchies().all.empty()    ? std::string()
                                                              : hierarchies().all.front().string();
  return root;
}

sdk::UniqueFd lock_parents(int operation) {
  if (lock_root().empty()) {
    return {};
  }
  // O_CLOEXEC: a lock inherited by an OCI runtime's container would be held
  // for the container's whole life.
  sdk::UniqueFd fd(::open(lock_root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::flock(fd.get(), operation) != 0) {
    return {};
  }
  return fd;
}

std::optional<fs::path> v1_dir(const std::string &path, std::string_view controller) {
  for (const auto &[name, mount] : hierarchies().v1) {
    if (name == controller) {
      return mount / fs::path(path).relative_path();
    }
  }
  return std::nullopt;
}

sdk::Result<void> write_file(const fs::path &file, const std::string &value) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return sdk::errno_error("open", file.string());
  }
  const auto written = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(value.size())) {
    return sdk::errno_error("write '" + value + "'", file.string(), err);
  }
  return {};
}

std::optional<std::string> read_file(const fs::path &file) {
  std::ifstream in(file);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t read_number(const fs::path &file) {
  auto text = read_file(file);
  if (!text || text->starts_with("max")) {
    return 0;
  }
  try {
    return std::stoull(*text);
  } catch (const std::exception &) {
    return 0;
  }
}

// "key value" lines, as in memory.events, cpu.stat or memory.oom_control.
std::uint64_t read_keyed(const fs::path &file, std::string_view key) {
  auto text = read_file(file);
  if (!text) {
    return 0;
  }
  std::stringstream in(*text);
  std::string name;
  std::uint64_t value = 0;
  while (in >> name >> value) {
    if (name == key) {
      return value;
    }
  }
  return 0;
}

// v1 reports "no limit" as a page-rounded LONG_MAX.
std::uint64_t limit_or_zero(std::uint64_t value) {
  constexpr std::uint64_t kUnlimitedFloor = 1ULL << 62;
  return value >= kUnlimitedFloor ? 0 : value;
}

// On v2 a controller works in a cgroup only when every ancestor delegates it.
void enable_v2_controllers(const fs::path &unified_root, const fs::path &relative) {
  auto dir = unified_root;
  for (const auto &part : relative.parent_path()) {
    (void)write_file(dir / "cgroup.subtree_control", "+memory +cpu +pids");
    dir /= part;
  }
  (void)write_file(dir / "cgroup.subtree_control", "+memory +cpu +pids");
}

std::string v2_swap(const CgroupLimits &limits) {
  if (*limits.memory_swap < 0) {
    return "max";
  }
  const auto memory = limits.memory.value_or(0);
  return std::to_string(std::max<std::int64_t>(0, *limits.memory_swap - memory));
}

std::string pids_value(std::int64_t pids) {
  return pids <= 0 ? std::string("max") : std::to_string(pids);
}

sdk::Result<void> apply_v2(const fs::path &dir, const CgroupLimits &limits) {
  std::vector<std::pair<std::string, std::string>> writes;
  if (limits.memory) {
    writes.emplace_back("memory.max", std::to_string(*limits.memory));
  }
  if (limits.memory_swap) {
    writes.emplace_back("memory.swap.max", v2_swap(limits));
  }
  if (limits.cpu_quota) {
    const auto period = limits.cpu_period.value_or(100000);
    writes.emplace_back("cpu.max", (*limits.cpu_quota <= 0 ? std::string("max")
                                                           : std::to_string(*limits.cpu_quota)) +
                                       " " + std::to_string(period));
  }
  if (limits.cpu_shares) {
    // The conversion runc and crun use between v1 shares and v2 weight.
    const auto shares = std::clamp<std::uint64_t>(*limits.cpu_shares, 2, 262144);
    writes.emplace_back("cpu.weight", std::to_string(1 + ((shares - 2) * 9999) / 262142));
  }
  if (limits.pids) {
    writes.emplace_back("pids.max", pids_value(*limits.pids));
  }
  for (const auto &[file, value] : writes) {
    if (auto done = write_file(dir / file, value); !done.ok()) {
      return done;
    }
  }
  return {};
}

sdk::Result<void> apply_v1(const std::string &path, const CgroupLimits &limits) {
  std::vector<std::tuple<std::string, std::string, std::string>> writes;
  if (limits.memory) {
    writes.emplace_back("memory", "memory.limit_in_bytes", std::to_string(*limits.memory));
  }
  // Only where swap accounting is on; otherwise memory alone bounds it.
  if (limits.memory_swap) {
    auto dir = v1_dir(path, "memory");
    if (dir && fs::exists(*dir / "memory.memsw.limit_in_bytes")) {
      writes.emplace_back("memory", "memory.memsw.limit_in_bytes",
                          std::to_string(*limits.memory_swap));
    }
  }
  if (limits.cpu_period) {
    writes.emplace_back("cpu", "cpu.cfs_period_us", std::to_string(*limits.cpu_period));
  }
  if (limits.cpu_quota) {
    writes.emplace_back("cpu", "cpu.cfs_quota_us", std::to_string(*limits.cpu_quota));
  }
  if (limits.cpu_shares) {
    writes.emplace_back("cpu", "cpu.shares", std::to_string(*limits.cpu_shares));
  }
  if (limits.pids) {
    writes.emplace_back("pids", "pids.max", pids_value(*limits.pids));
  }
  for (const auto &rule : limits.devices) {
    auto [file, line] = v1_device_line(rule);
    writes.emplace_back("devices", std::move(file), std::move(line));
  }
  for (const auto &[controller, file, value] : writes) {
    auto dir = v1_dir(path, controller);
    if (!dir) {
      return sdk::make_error(sdk::Errc::unsupported,
                             "the " + controller +
                                 " cgroup controller is not mounted; mount it "
                                 "or drop the limit",
                             path);
    }
    if (auto done = write_file(*dir / file, value); !done.ok()) {
      return done;
    }
  }
  return {};
}

template <class T> std::optional<T> optional_number(const nlohmann::json &object, const char *key) {
  if (!object.is_object()) {
    return std::nullopt;
  }
  auto found = object.find(key);
  if (found == object.end() || !found->is_number()) {
    return std::nullopt;
  }
  return found->get<T>();
}

} // namespace

CgroupLimits limits_from_spec(const nlohmann::json &spec) {
  CgroupLimits limits;
  const auto linux_it = spec.find("linux");
  if (linux_it == spec.end() || !linux_it->is_object()) {
    return limits;
  }
  const auto resources = linux_it->value("resources", nlohmann::json::object());
  const auto memory = resources.value("memory", nlohmann::json::object());
  limits.memory = optional_number<std::int64_t>(memory, "limit");
  limits.memory_swap = optional_number<std::int64_t>(memory, "swap");
  const auto cpu = resources.value("cpu", nlohmann::json::object());
  limits.cpu_quota = optional_number<std::int64_t>(cpu, "quota");
  limits.cpu_period = optional_number<std::uint64_t>(cpu, "period");
  limits.cpu_shares = optional_number<std::uint64_t>(cpu, "shares");
  limits.pids =
      optional_number<std::int64_t>(resources.value("pids", nlohmann::json::object()), "limit");
  limits.devices = device_rules_from_spec(resources.value("devices", nlohmann::json::array()));
  return limits;
}

std::string cgroup_path_from_spec(const nlohmann::json &spec, const std::string &id) {
  const auto linux_it = spec.find("linux");
  if (linux_it != spec.end() && linux_it->is_object()) {
    auto path = linux_it->value("cgroupsPath", std::string{});
    if (!path.empty()) {
      return path.front() == '/' ? path : "/" + path;
    }
  }
  return "/berth/" + id;
}

namespace {

// The parents are held only until the cgroup exists: from then on a
// non-empty parent cannot be removed anyway, and the limits and the device
// program (a verifier run) need not keep another run's clean-up waiting.
sdk::Result<void> make_directories(const std::string &path) {
  const auto &h = hierarchies();
  const auto parents_held = hold_cgroup_parents();
  if (h.unified_has_controllers) {
    enable_v2_controllers(h.unified, fs::path(path).relative_path());
  }
  for (const auto &dir : directories(path)) {
    std::error_code ec;
    // Another container's removal may take an empty parent away under us
    // (remove_empty_parents); making the path again is enough.
    for (int attempt = 0; attempt < 3 && !fs::is_directory(dir); ++attempt) {
      fs::create_directories(dir, ec);
    }
    if (ec && !fs::is_directory(dir)) {
      return sdk::errno_error("mkdir", dir.string(), ec.value());
    }
  }
  return {};
}

} // namespace

sdk::Result<Cgroup> Cgroup::create(const std::string &path, const CgroupLimits &limits) {
  const auto &h = hierarchies();
  if (h.unified.empty() && h.v1.empty()) {
    return sdk::make_error(sdk::Errc::unavailable, "no cgroup hierarchy is mounted", path);
  }
  Cgroup made(path);
  if (auto dirs = make_directories(path); !dirs.ok()) {
    (void)made.destroy();
    return std::move(dirs).error();
  }
  auto applied = h.unified_has_controllers ? apply_v2(directories(path).front(), limits)
                                           : apply_v1(path, limits);
  if (applied.ok() && !h.unified.empty() && !limits.devices.empty()) {
    applied = made.attach_devices(limits.devices);
  }
  if (!applied.ok()) {
    (void)made.destroy();
    return std::move(applied).error();
  }
  return made;
}

sdk::UniqueFd hold_cgroup_parents() {
  return lock_parents(LOCK_SH);
}

// Also on a hybrid host: the unified hierarchy takes device programs even
// without controllers, and the container's processes are in it.
sdk::Result<void> Cgroup::attach_devices(const std::vector<DeviceRule> &rules) const {
  const sdk::UniqueFd dir(open_unified());
  if (!dir.valid()) {
    return sdk::errno_error("open", path_);
  }
  return attach_device_program(dir.get(), rules);
}

Cgroup Cgroup::open(const std::string &path) {
  return Cgroup(path);
}

int Cgroup::open_unified() const {
  const auto &h = hierarchies();
  if (h.unified.empty()) {
    return -1;
  }
  const auto dir = fs::path(h.unified) / fs::path(path_).relative_path();
  return ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

bool Cgroup::unified_only() const noexcept {
  return hierarchies().unified_has_controllers;
}

sdk::Result<void> Cgroup::add(int pid, bool in_unified_already) const {
  const auto &h = hierarchies();
  for (const auto &dir : directories(path_)) {
    if (in_unified_already && !h.unified.empty() && dir.string().starts_with(h.unified + "/")) {
      continue;
    }
    if (auto done = write_file(dir / "cgroup.procs", std::to_string(pid)); !done.ok()) {
      return done;
    }
  }
  return {};
}

std::vector<std::string> Cgroup::v1_task_files() const {
  const auto &h = hierarchies();
  std::vector<std::string> files;
  for (const auto &dir : directories(path_)) {
    if (h.unified.empty() || !dir.string().starts_with(h.unified + "/")) {
      files.push_back((dir / "tasks").string());
    }
  }
  return files;
}

sdk::Result<void> Cgroup::add_to_unified(int pid) const {
  const auto &h = hierarchies();
  if (h.unified.empty()) {
    return {};
  }
  return write_file(fs::path(h.unified) / fs::path(path_).relative_path() / "cgroup.procs",
                    std::to_string(pid));
}

sdk::Result<sdk::ContainerStats> Cgroup::stats() const {
  const auto &h = hierarchies();
  sdk::ContainerStats stats;
  if (h.unified_has_controllers) {
    const auto dir = directories(path_).front();
    if (!fs::exists(dir)) {
      return sdk::make_error(sdk::Errc::not_found, "no such cgroup", dir.string());
    }
    stats.cpu_usage_ns = read_keyed(dir / "cpu.stat", "usage_usec") * 1000;
    stats.memory_bytes = read_number(dir / "memory.current");
    stats.memory_limit_bytes = read_number(dir / "memory.max");
    stats.pids = read_number(dir / "pids.current");
    stats.pids_limit = read_number(dir / "pids.max");
  } else {
    auto memory = v1_dir(path_, "memory");
    if (!memory || !fs::exists(*memory)) {
      return sdk::make_error(sdk::Errc::not_found, "no such cgroup", path_);
    }
    // Page cache counts in usage_in_bytes; subtract inactive files as
    // docker stats does, so a container that read a big file is not "full".
    const auto usage = read_number(*memory / "memory.usage_in_bytes");
    const auto inactive = read_keyed(*memory / "memory.stat", "total_inactive_file");
    stats.memory_bytes = usage > inactive ? usage - inactive : usage;
    stats.memory_limit_bytes = limit_or_zero(read_number(*memory / "memory.limit_in_bytes"));
    if (auto cpuacct = v1_dir(path_, "cpuacct")) {
      stats.cpu_usage_ns = read_number(*cpuacct / "cpuacct.usage");
    }
    if (auto pids = v1_dir(path_, "pids")) {
      stats.pids = read_number(*pids / "pids.current");
      stats.pids_limit = read_number(*pids / "pids.max");
    }
  }
  stats.processes = processes();
  return stats;
}

bool Cgroup::oom_killed() const {
  const auto &h = hierarchies();
  if (h.unified_has_controllers) {
    return read_keyed(directories(path_).front() / "memory.events", "oom_kill") > 0;
  }
  auto memory = v1_dir(path_, "memory");
  return memory && read_keyed(*memory / "memory.oom_control", "oom_kill") > 0;
}

std::vector<int> Cgroup::processes() const {
  std::vector<int> pids;
  for (const auto &dir : directories(path_)) {
    auto text = read_file(dir / "cgroup.procs");
    if (!text) {
      continue;
    }
    std::stringstream in(*text);
    int pid = 0;
    while (in >> pid) {
      pids.push_back(pid);
    }
    if (!pids.empty()) {
      break; // every hierarchy holds the same processes
    }
  }
  return pids;
}

void Cgroup::signal_all(int signal) const {
  for (int pid : processes()) {
    ::kill(pid, signal);
  }
}

sdk::Result<void> Cgroup::destroy() const {
  // Processes forked between a read of cgroup.procs and the kill are caught
  // by the next round; exits take a moment to leave the cgroup.
  constexpr auto kPatience = std::chrono::seconds(5);
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  const auto dirs = every_directory(path_);
  while (true) {
    signal_all(SIGKILL);
    bool all_gone = true;
    for (const auto &dir : dirs) {
      if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
        all_gone = false;
      }
    }
    if (all_gone) {
      remove_empty_parents();
      return {};
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return sdk::make_error(sdk::Errc::busy,
                             "processes are still in the cgroup after SIGKILL; "
                             "check for processes stuck in the kernel (state D)",
                             path_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Cgroup::remove_empty_parents() const {
  // Someone is making a cgroup under these parents right now: that takes
  // milliseconds, so wait a little before leaving the parents to the next
  // clean-up (a run's own parent would otherwise outlive it).
  if (lock_root().empty()) {
    return;
  }
  auto held = lock_parents(LOCK_EX | LOCK_NB);
  for (int attempt = 0; attempt < 50 && !held.valid(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    held = lock_parents(LOCK_EX | LOCK_NB);
  }
  if (!held.valid()) {
    return;
  }
  for (const auto &mount : hierarchies().all) {
    for (auto dir = fs::path(path_).relative_path().parent_path(); !dir.empty();
         dir = dir.parent_path()) {
      if (::rmdir((mount / dir).c_str()) != 0) {
        break; // still in use by another container, or not ours
      }
    }
  }
}

} // namespace berth::runtime
