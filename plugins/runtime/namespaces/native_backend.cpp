#include "namespaces/native_backend.hpp"

#include "common/cgroup.hpp"
#include "common/host_fds.hpp"
#include "namespaces/container_setup.hpp"
#include "namespaces/launch_plan.hpp"

#include <berth/sdk/unique_fd.hpp>

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>

namespace berth::runtime {

using sdk::UniqueFd;
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

sdk::Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return sdk::errno_error("pipe2", "");
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

sdk::Result<void> valid_id(const std::string &id) {
  if (id.empty() || id.size() > 128 || id.find_first_of("/\\. ") != std::string::npos) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "a container id is 1-128 characters without '/', '.' or spaces", id);
  }
  return {};
}

// Process start time (clock ticks since boot): with the pid it names one
// process for ever, so a recycled pid is never mistaken for the container.
struct ProcessInfo {
  char state = '?';
  unsigned long long start_time = 0;
};

std::optional<ProcessInfo> process_info(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!in || !std::getline(in, text)) {
    return std::nullopt;
  }
  // The command name may hold spaces and parentheses; fields resume after the last ')'.
  std::stringstream fields(text.substr(text.rfind(')') + 2));
  ProcessInfo info;
  fields >> info.state;
  std::string skip;
  for (int field = 4; field < 22; ++field) {
    fields >> skip;
  }
  fields >> info.start_time;
  return info;
}

struct Record {
  int pid = 0;
  unsigned long long start_time = 0;
  std::string bundle;
  std::string cgroup;
  json seccomp; // applied again to exec'd processes
};

sdk::Result<Record> read_record(const fs::path &dir, const std::string &id) {
  std::ifstream in(dir / "state.json");
  if (!in) {
    return sdk::make_error(sdk::Errc::not_found, "no such container", id);
  }
  try {
    auto doc = json::parse(in);
    return Record{doc.at("pid").get<int>(), doc.at("startTime").get<unsigned long long>(),
                  doc.at("bundle").get<std::string>(), doc.at("cgroup").get<std::string>(),
                  doc.value("seccomp", json())};
  } catch (const json::exception &e) {
    return sdk::make_error(sdk::Errc::io, std::string("corrupt state: ") + e.what(),
                           (dir / "state.json").string());
  }
}

sdk::Result<void> write_record(const fs::path &dir, const Record &record) {
  json doc = {{"pid", record.pid},
              {"startTime", record.start_time},
              {"bundle", record.bundle},
              {"cgroup", record.cgroup},
              {"seccomp", record.seccomp}};
  const auto temporary = dir / "state.json.tmp";
  {
    std::ofstream out(temporary);
    out << doc.dump();
    if (!out.flush()) {
      return sdk::errno_error("write", temporary.string());
    }
  }
  if (::rename(temporary.c_str(), (dir / "state.json").c_str()) < 0) {
    return sdk::errno_error("rename", temporary.string());
  }
  return {};
}

bool alive(const Record &record) {
  auto info = process_info(record.pid);
  return info && info->start_time == record.start_time && info->state != 'Z' && info->state != 'X';
}

sdk::Result<UniqueFd> connect_console(const std::string &path) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    return sdk::make_error(sdk::Errc::invalid_argument, "console socket path is too long", path);
  }
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::connect(sock.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) < 0) {
    return sdk::errno_error("connect", path);
  }
  return sock;
}

// clone3 with the new namespaces, straight into the unified cgroup when
// there is one (no window in the parent's cgroup, no migration cost).
struct Cloned {
  int pid = 0;
  bool in_cgroup = false; // CLONE_INTO_CGROUP took
};

sdk::Result<Cloned> clone_into(int flags, int cgroup_fd) {
  clone_args args{};
  args.flags = static_cast<std::uint64_t>(flags);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && cgroup_fd >= 0 && (errno == EINVAL || errno == EOPNOTSUPP || errno == EBUSY)) {
    args.flags &= ~static_cast<std::uint64_t>(CLONE_INTO_CGROUP);
    args.cgroup = 0;
    pid = ::syscall(SYS_clone3, &args, sizeof args);
  }
  if (pid < 0) {
    return sdk::errno_error("clone3", "new namespaces");
  }
  return Cloned{static_cast<int>(pid), (args.flags & CLONE_INTO_CGROUP) != 0};
}

void reap(int pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

bool single_threaded() {
  std::error_code ec;
  auto tasks = fs::directory_iterator("/proc/self/task", ec);
  return !ec && std::distance(tasks, fs::directory_iterator()) == 1;
}

// The container's init allocates and takes locks before it execs. After a
// raw clone3 from a threaded caller, a lock another thread held at that
// moment (malloc's, stdio's) stays held forever in the child. So a threaded
// caller clones from a forked intermediate: glibc's fork leaves those locks
// consistent, and the intermediate has one thread. The init is reparented
// to the caller, which the contract makes a child subreaper.
sdk::Result<Cloned> clone_init(int flags, int cgroup_fd, const std::function<void()> &init) {
  if (single_threaded()) {
    auto cloned = clone_into(flags, cgroup_fd);
    if (cloned.ok() && cloned->pid == 0) {
      init();
    }
    return cloned;
  }
  auto channel = make_pipe();
  if (!channel.ok()) {
    return sdk::errno_error("pipe2", "clone intermediate");
  }
  const int intermediate = ::fork();
  if (intermediate < 0) {
    return sdk::errno_error("fork", "clone intermediate");
  }
  if (intermediate == 0) {
    auto cloned = clone_into(flags, cgroup_fd);
    if (cloned.ok() && cloned->pid == 0) {
      init();
    }
    const Cloned report = cloned.ok() ? *cloned : Cloned{-errno, false};
    (void)!::write(channel->write.get(), &report, sizeof report);
    ::_exit(0);
  }
  channel->write.reset();
  Cloned cloned;
  const auto got = ::read(channel->read.get(), &cloned, sizeof cloned);
  reap(intermediate);
  if (got != static_cast<ssize_t>(sizeof cloned) || cloned.pid <= 0) {
    return sdk::errno_error("clone3", "new namespaces",
                            got == static_cast<ssize_t>(sizeof cloned) ? -cloned.pid : EIO);
  }
  return cloned;
}

struct Launched {
  int pid = 0;
  bool placed_by_clone = false;
};

ChildChannels channels_for(const sdk::ProcessIo &io, const Pipe &report, const Pipe &go,
                           int console) {
  ChildChannels channels;
  channels.report = report.write.get();
  channels.go = go.read.get();
  channels.stdin_fd = io.stdin_fd;
  channels.stdout_fd = io.stdout_fd;
  channels.stderr_fd = io.stderr_fd;
  channels.console = console;
  return channels;
}

// Waits for the init to open the fifo's write end, or for it to die.
sdk::Result<void> await_init(int fifo, int pid, const std::string &id) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  pollfd fds[2] = {{fifo, POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  while (true) {
    const int ready = ::poll(fds, pidfd.get() >= 0 ? 2 : 1, -1);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready < 0) {
      return sdk::errno_error("poll", id);
    }
    if ((fds[0].revents & POLLIN) != 0) {
      char byte = 0;
      if (::read(fifo, &byte, 1) == 1) {
        return {};
      }
    }
    if ((fds[1].revents & POLLIN) != 0) {
      return sdk::make_error(sdk::Errc::io, "the container's init exited before start", id);
    }
  }
}

json all_capability_names() {
  json names = json::array();
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    char *name = cap_to_name(cap); // "cap_chown"
    if (name != nullptr) {
      std::string upper(name);
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      names.push_back(upper);
      cap_free(name);
    }
  }
  return names;
}

} // namespace

sdk::Result<std::unique_ptr<NativeBackend>> NativeBackend::create(sdk::HostServices &host,
                                                                  const nlohmann::json &options) {
  (void)options;
  auto dir = host.state_dir();
  if (!dir.ok()) {
    return std::move(dir).error();
  }
  return std::make_unique<NativeBackend>(dir.value() / "containers");
}

namespace {

// A cache file holds the profile it was compiled from, so a hash collision
// or a torn file can only miss, never install the wrong filter.
std::optional<SeccompProgram> read_program(const fs::path &file, const std::string &profile) {
  std::ifstream in(file, std::ios::binary);
  std::uint64_t size = 0;
  if (!in.read(reinterpret_cast<char *>(&size), sizeof size) || size != profile.size()) {
    return std::nullopt;
  }
  std::string stored(size, '\0');
  SeccompProgram program;
  if (!in.read(stored.data(), static_cast<std::streamsize>(size)) || stored != profile ||
      !in.read(reinterpret_cast<char *>(&program.flags), sizeof program.flags)) {
    return std::nullopt;
  }
  sock_filter instruction{};
  while (in.read(reinterpret_cast<char *>(&instruction), sizeof instruction)) {
    program.instructions.push_back(instruction);
  }
  if (program.instructions.empty() || in.gcount() != 0) {
    return std::nullopt;
  }
  return program;
}

void write_program(const fs::path &file, const std::string &profile,
                   const SeccompProgram &program) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const auto temporary = fs::path(file.string() + "." + std::to_string(::getpid()));
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  const std::uint64_t size = profile.size();
  out.write(reinterpret_cast<const char *>(&size), sizeof size);
  out.write(profile.data(), static_cast<std::streamsize>(size));
  out.write(reinterpret_cast<const char *>(&program.flags), sizeof program.flags);
  out.write(reinterpret_cast<const char *>(program.instructions.data()),
            static_cast<std::streamsize>(program.instructions.size() * sizeof(sock_filter)));
  out.close();
  if (out) {
    fs::rename(temporary, file, ec);
  }
  fs::remove(temporary, ec);
}

} // namespace

namespace {

// The spec's limits, with the device nodes every container's /dev holds
// always allowed after its rules, as runc does: a spec that denies all
// devices still leaves /dev/null usable.
CgroupLimits container_limits(const nlohmann::json &spec) {
  auto limits = limits_from_spec(spec);
  if (!limits.devices.empty()) {
    constexpr std::array<std::pair<int, int>, 8> kNodes = {
        {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}, {136, -1}}};
    for (const auto &[major, minor] : kNodes) {
      limits.devices.push_back({true, 'c', major, minor, "rwm"});
    }
  }
  return limits;
}

} // namespace

sdk::Result<void> NativeBackend::compile_seccomp_cached(ProcessPlan &plan) const {
  if (plan.seccomp.is_null()) {
    return {};
  }
  const auto text = plan.seccomp.dump();
  const auto file =
      root_.parent_path() / "seccomp" /
      (std::to_string(std::hash<std::string>{}(text)) + "-" + std::to_string(text.size()) + ".bpf");
  if (auto cached = read_program(file, text)) {
    plan.seccomp_program = std::move(*cached);
    return {};
  }
  auto compiled = compile_seccomp(plan.seccomp);
  if (!compiled.ok()) {
    return std::move(compiled).error();
  }
  plan.seccomp_program = std::move(compiled).value();
  write_program(file, text, plan.seccomp_program);
  return {};
}

sdk::Result<sdk::ContainerState> NativeBackend::create(const std::string &id,
                                                       const std::string &bundle,
                                                       const nlohmann::json &spec,
                                                       const sdk::ProcessIo &io) noexcept {
  try {
    if (auto valid = valid_id(id); !valid.ok()) {
      return std::move(valid).error();
    }
    auto plan = make_init_plan(spec, bundle);
    if (!plan.ok()) {
      return std::move(plan).error();
    }
    if (auto compiled = compile_seccomp_cached(plan->process); !compiled.ok()) {
      return std::move(compiled).error();
    }
    const auto home = dir(id);
    if (fs::exists(home / "state.json")) {
      return sdk::make_error(sdk::Errc::already_exists, "a container with this id exists", id);
    }
    fs::create_directories(home);
    auto made = Cgroup::create(cgroup_path_from_spec(spec, id), container_limits(spec));
    if (!made.ok()) {
      fs::remove_all(home);
      return std::move(made).error();
    }
    const auto cgroup = std::move(made).value();
    plan->cgroup_tasks = cgroup.v1_task_files();
    auto launched = [&]() -> sdk::Result<int> {
      // One launch at a time: an init inherits every fd open in the caller
      // when it is cloned, another launch's report pipe included, and holds
      // it while it waits for start; that launch would wait for the pipe's
      // end forever.
      static std::mutex launching;
      const std::lock_guard one_at_a_time(launching);
      const auto fifo_path = home / "exec.fifo";
      // The init opens it after switching to the container's user; the
      // state directory (under the engine's root-only root) guards it.
      if (::mkfifo(fifo_path.c_str(), 0622) < 0 || ::chmod(fifo_path.c_str(), 0622) < 0) {
        return sdk::errno_error("mkfifo", fifo_path.string());
      }
      UniqueFd fifo(::open(fifo_path.c_str(), O_PATH | O_CLOEXEC));
      auto report = make_pipe();
      auto go = make_pipe();
      if (fifo.get() < 0 || !report.ok() || !go.ok()) {
        return sdk::errno_error("set up the init's channels", id);
      }
      UniqueFd console;
      if (plan->process.terminal) {
        auto connected = connect_console(io.console_socket);
        if (!connected.ok()) {
          return std::move(connected).error();
        }
        console = std::move(connected).value();
      }
      auto channels = channels_for(io, *report, *go, console.get());
      channels.exec_fifo = fifo.get();
      UniqueFd cgroup_fd(cgroup.open_unified());
      auto cloned = clone_init(plan->clone_flags, cgroup_fd.get(),
                               [&] { run_container_init(*plan, channels); });
      if (!cloned.ok()) {
        return std::move(cloned).error();
      }
      const auto pid = &cloned->pid;
      report->write.reset();
      go->read.reset();
      // The init has moved itself into the v1 hierarchies (the cheap way;
      // see Cgroup::v1_task_files); the unified one is ours, when
      // CLONE_INTO_CGROUP could not do it.
      auto placed = cloned->in_cgroup ? sdk::Result<void>() : cgroup.add_to_unified(*pid);
      if (placed.ok()) {
        (void)!::write(go->write.get(), "g", 1);
      }
      go->write.reset();
      auto outcome = read_child_report(report->read.get(), true, id);
      if (!placed.ok() || !outcome.ok()) {
        ::kill(*pid, SIGKILL);
        reap(*pid);
        return placed.ok() ? std::move(outcome).error() : std::move(placed).error();
      }
      return *pid;
    }();
    if (!launched.ok()) {
      (void)cgroup.destroy();
      fs::remove_all(home);
      return std::move(launched).error();
    }
    const auto info = process_info(*launched);
    Record record{*launched, info ? info->start_time : 0, bundle, cgroup.path(),
                  plan->process.seccomp};
    if (auto saved = write_record(home, record); !saved.ok()) {
      (void)remove(id);
      return std::move(saved).error();
    }
    return sdk::ContainerState{id, sdk::ContainerStatus::created, *launched, false, bundle};
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), id);
  }
}

sdk::Result<void> NativeBackend::start(const std::string &id) noexcept {
  auto record = read_record(dir(id), id);
  if (!record.ok()) {
    return std::move(record).error();
  }
  const auto fifo_path = dir(id) / "exec.fifo";
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fifo.get() < 0) {
    if (errno == ENOENT) {
      return sdk::make_error(sdk::Errc::invalid_argument, "the container was started already", id);
    }
    return sdk::errno_error("open", fifo_path.string());
  }
  if (auto done = await_init(fifo.get(), record->pid, id); !done.ok()) {
    return done;
  }
  ::unlink(fifo_path.c_str());
  return {};
}

sdk::Result<sdk::ContainerState> NativeBackend::state(const std::string &id) noexcept {
  auto record = read_record(dir(id), id);
  if (!record.ok()) {
    return std::move(record).error();
  }
  sdk::ContainerState state{id, sdk::ContainerStatus::stopped, 0, false, record->bundle};
  if (alive(*record)) {
    state.pid = record->pid;
    state.status = fs::exists(dir(id) / "exec.fifo") ? sdk::ContainerStatus::created
                                                     : sdk::ContainerStatus::running;
  }
  state.oom_killed = Cgroup::open(record->cgroup).oom_killed();
  return state;
}

sdk::Result<void> NativeBackend::kill(const std::string &id, int signal, bool all) noexcept {
  auto record = read_record(dir(id), id);
  if (!record.ok()) {
    return std::move(record).error();
  }
  if (all) {
    Cgroup::open(record->cgroup).signal_all(signal);
    return {};
  }
  if (!alive(*record)) {
    return sdk::make_error(sdk::Errc::invalid_argument, "the container is not running", id);
  }
  if (::kill(record->pid, signal) < 0) {
    return sdk::errno_error("kill", id);
  }
  return {};
}

sdk::Result<void> NativeBackend::remove(const std::string &id) noexcept {
  try {
    const auto home = dir(id);
    if (!fs::exists(home)) {
      return sdk::make_error(sdk::Errc::not_found, "no such container", id);
    }
    if (auto record = read_record(home, id); record.ok()) {
      if (alive(*record)) {
        ::kill(record->pid, SIGKILL);
      }
      if (auto gone = Cgroup::open(record->cgroup).destroy(); !gone.ok()) {
        return gone;
      }
    }
    fs::remove_all(home);
    return {};
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), id);
  }
}

namespace {

// The container's namespaces that differ from ours, in the order setns
// wants: mount last, since it changes what the other paths would name.
std::vector<std::pair<UniqueFd, int>> open_namespaces(int pid) {
  static const std::pair<const char *, int> types[] = {
      {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
      {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
  };
  std::vector<std::pair<UniqueFd, int>> namespaces;
  for (const auto &[name, type] : types) {
    const auto theirs = "/proc/" + std::to_string(pid) + "/ns/" + name;
    struct stat a {};
    struct stat b {};
    if (::stat(theirs.c_str(), &a) == 0 &&
        ::stat((std::string("/proc/self/ns/") + name).c_str(), &b) == 0 && a.st_ino == b.st_ino) {
      continue;
    }
    namespaces.emplace_back(UniqueFd(::open(theirs.c_str(), O_RDONLY | O_CLOEXEC)), type);
  }
  return namespaces;
}

// The container's cgroup as an exec'd process joins it: the unified
// directory for CLONE_INTO_CGROUP and the v1 `tasks` files it writes "0" to
// itself (see Cgroup::v1_task_files), all opened on the host beforehand.
struct CgroupEntry {
  UniqueFd unified;
  std::vector<UniqueFd> tasks;
};

CgroupEntry open_cgroup_entry(const Cgroup &cgroup) {
  CgroupEntry entry;
  entry.unified.reset(cgroup.open_unified());
  for (const auto &file : cgroup.v1_task_files()) {
    entry.tasks.emplace_back(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  }
  return entry;
}

[[noreturn]] void fail_intermediate(const ChildChannels &channels, const std::string &what) {
  const auto message = "EI" + what + ": " + std::strerror(errno);
  (void)!::write(channels.report, message.data(), message.size());
  ::_exit(1);
}

// The intermediate child joins the namespaces and clones the real process,
// which is then inside the PID namespace (and the unified cgroup) too; the
// intermediate exits, so the process is reparented to our subreaper.
[[noreturn]] void enter_and_fork(const std::vector<std::pair<UniqueFd, int>> &namespaces,
                                 const CgroupEntry &cgroup, const ProcessPlan &plan,
                                 const ChildChannels &channels, int pid_out) {
  std::vector<int> keep = {
      channels.report,    channels.go,      channels.stdin_fd, channels.stdout_fd,
      channels.stderr_fd, channels.console, pid_out,           cgroup.unified.get()};
  for (const auto &[fd, type] : namespaces) {
    keep.push_back(fd.get());
  }
  for (const auto &fd : cgroup.tasks) {
    keep.push_back(fd.get());
  }
  if (!seal_from_host(std::move(keep))) {
    fail_intermediate(channels, "seal the process from the host");
  }
  for (const auto &[fd, type] : namespaces) {
    if (fd.get() < 0 || ::setns(fd.get(), type) < 0) {
      fail_intermediate(channels, "join the container's namespaces");
    }
  }
  for (const auto &[fd, type] : namespaces) {
    ::close(fd.get());
  }
  // A raw clone is safe here: the intermediate has one thread.
  auto cloned = clone_into(0, cgroup.unified.get());
  if (cloned.ok() && cloned->pid == 0) {
    for (const auto &fd : cgroup.tasks) {
      if (fd.get() < 0 || ::write(fd.get(), "0", 1) != 1) {
        fail_intermediate(channels, "join the container's cgroup");
      }
    }
    run_exec_process(plan, channels);
  }
  const Cloned report = cloned.ok() ? *cloned : Cloned{-1, false};
  (void)!::write(pid_out, &report, sizeof report);
  ::_exit(cloned.ok() ? 0 : 1);
}

} // namespace

sdk::Result<int> NativeBackend::exec(const std::string &id, const nlohmann::json &process,
                                     const sdk::ProcessIo &io) noexcept {
  try {
    auto record = read_record(dir(id), id);
    if (!record.ok()) {
      return std::move(record).error();
    }
    if (!alive(*record) || fs::exists(dir(id) / "exec.fifo")) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "the container is not running; start it first", id);
    }
    auto plan = make_process_plan(process);
    if (!plan.ok()) {
      return std::move(plan).error();
    }
    plan->seccomp = record->seccomp;
    if (auto compiled = compile_seccomp_cached(*plan); !compiled.ok()) {
      return std::move(compiled).error();
    }
    auto namespaces = open_namespaces(record->pid);
    const auto cgroup = Cgroup::open(record->cgroup);
    const auto cgroup_entry = open_cgroup_entry(cgroup);
    auto report = make_pipe();
    auto go = make_pipe();
    auto pid_pipe = make_pipe();
    if (!report.ok() || !go.ok() || !pid_pipe.ok()) {
      return sdk::errno_error("pipe2", id);
    }
    UniqueFd console;
    if (plan->terminal) {
      auto connected = connect_console(io.console_socket);
      if (!connected.ok()) {
        return std::move(connected).error();
      }
      console = std::move(connected).value();
    }
    auto channels = channels_for(io, *report, *go, console.get());
    const int intermediate = ::fork();
    if (intermediate < 0) {
      return sdk::errno_error("fork", id);
    }
    if (intermediate == 0) {
      enter_and_fork(namespaces, cgroup_entry, *plan, channels, pid_pipe->write.get());
    }
    report->write.reset();
    go->read.reset();
    pid_pipe->write.reset();
    Cloned cloned{-1, false};
    const bool got = ::read(pid_pipe->read.get(), &cloned, sizeof cloned) == sizeof cloned;
    reap(intermediate);
    const int child = cloned.pid;
    if (!got || child <= 0) {
      go->write.reset();
      auto failed = read_child_report(report->read.get(), false, id);
      return failed.ok() ? sdk::make_error(sdk::Errc::io, "could not fork inside the container", id)
                         : std::move(failed).error();
    }
    // It joined the v1 hierarchies itself, the cheap way (see open_cgroup_entry).
    if (auto placed = cloned.in_cgroup ? sdk::Result<void>() : cgroup.add_to_unified(child);
        !placed.ok()) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
      return std::move(placed).error();
    }
    (void)!::write(go->write.get(), "g", 1);
    go->write.reset();
    if (auto outcome = read_child_report(report->read.get(), false, id); !outcome.ok()) {
      // It reported and exits. Reaped here (the caller is its subreaper):
      // a zombie in the container's PID namespace whose parent is outside
      // keeps the namespace's init from ever finishing its exit, so the
      // container could no longer be stopped.
      ::waitpid(child, nullptr, 0);
      return std::move(outcome).error();
    }
    return child;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::invalid_argument, e.what(), id);
  }
}

sdk::Result<sdk::ContainerStats> NativeBackend::stats(const std::string &id) noexcept {
  try {
    auto record = read_record(dir(id), id);
    if (!record.ok()) {
      return std::move(record).error();
    }
    return Cgroup::open(record->cgroup).stats();
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), id);
  }
}

sdk::Result<nlohmann::json> NativeBackend::features() noexcept {
  try {
    return json{
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.1.0"},
        {"hooks", json::array()},
        {"mountOptions",
         {"ro", "rw", "nosuid", "nodev", "noexec", "bind", "rbind", "private", "rprivate", "slave",
          "rslave", "shared", "rshared", "noatime", "relatime", "strictatime"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "uts"}},
          {"capabilities", all_capability_names()},
          {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}}},
          {"seccomp", {{"enabled", true}}}}},
    };
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what());
  }
}

sdk::Result<sdk::ContainerState> NativeBackend::recover(const std::string &id) noexcept {
  return state(id);
}

} // namespace berth::runtime
