// Starting and stopping: berth-shim spawned detached, its ready events,
// and the attach connections that stop, kill, restart and wait use.
#include "container/container_files.hpp"
#include "container/container_service.hpp"

#include "container/image_defaults.hpp"
#include "container/seccomp_profile.hpp"
#include "util/error_context.hpp"
#include "util/in_root.hpp"
#include "util/mount_point.hpp"
#include "util/signal_name.hpp"
#include "util/text.hpp"

#include <berth/sdk/mount.hpp>

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace berth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kKillPatienceMs = 30000; // after SIGKILL, the monitor reports within this

// The monitor's events on the ready pipe, one JSON object per line.
class ReadyReader {
public:
  explicit ReadyReader(int fd) : fd_(fd) {}
  std::optional<json> next() {
    while (true) {
      const auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        auto event = json::parse(buffer_.substr(0, newline), nullptr, false);
        buffer_.erase(0, newline + 1);
        return event;
      }
      char chunk[4096];
      const auto n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

private:
  int fd_;
  std::string buffer_;
};

sdk::Errc errc_from_name(const std::string &name) {
  for (auto code : {sdk::Errc::invalid_argument, sdk::Errc::not_found, sdk::Errc::already_exists,
                    sdk::Errc::busy, sdk::Errc::unsupported, sdk::Errc::unavailable,
                    sdk::Errc::permission, sdk::Errc::io, sdk::Errc::cancelled}) {
    if (name == sdk::errc_name(code)) {
      return code;
    }
  }
  return sdk::Errc::internal;
}

sdk::Error event_error(const std::optional<json> &event, const std::string &id) {
  if (!event || !event->is_object()) {
    return sdk::make_error(sdk::Errc::internal,
                           "berth-shim exited before reporting; see the kernel log", id);
  }
  return sdk::make_error(errc_from_name(event->value("code", "internal")),
                         event->value("message", "the container failed to start"));
}

// What the vfork()ed child does before it becomes berth-shim: only system
// calls, on memory the parent prepared, since it borrows the parent's.
[[noreturn]] void become_detached_monitor(const char *program, const char *dir, const char *ready,
                                          int ready_fd, const std::vector<int> &held,
                                          const sigset_t &unblocked) {
  ::setsid();
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) {
    ::dup2(null, fd);
  }
  // The monitor inherits nothing of ours but the ready pipe and the
  // sockets that hold its published ports.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::fcntl(ready_fd, F_SETFD, 0);
  for (const int fd : held) {
    ::fcntl(fd, F_SETFD, 0);
  }
  ::sigprocmask(SIG_SETMASK, &unblocked, nullptr);
  ::execl(program, program, dir, ready, nullptr);
  ::_exit(127);
}

// Apart from spawn_detached, so that no C++ object lives across vfork().
int vfork_monitor(const char *program, const char *dir, const char *ready, int ready_fd,
                  const std::vector<int> &held, const sigset_t &unblocked) {
  const int child = ::vfork();
  if (child == 0) {
    become_detached_monitor(program, dir, ready, ready_fd, held, unblocked);
  }
  return child;
}

// berth-shim forks once more as it starts, so the monitor is nobody's child
// here: the command can exit and the monitor lives on without a zombie or a
// session tie. vfork, not fork: copying this process's page tables (every
// plugin and library mapped) twice cost more than the rest of the spawn.
sdk::Result<UniqueFd> spawn_detached(const fs::path &program, const fs::path &dir,
                                     const std::vector<int> &held) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) {
    return sdk::errno_error("pipe2", dir.string());
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  const auto ready = std::to_string(write_end.get());
  sigset_t unblocked;
  sigemptyset(&unblocked);
  const int child =
      vfork_monitor(program.c_str(), dir.c_str(), ready.c_str(), write_end.get(), held, unblocked);
  if (child < 0) {
    return sdk::errno_error("vfork", dir.string());
  }
  write_end.reset();
  ::waitpid(child, nullptr, 0);
  return read_end;
}

} // namespace

sdk::Result<UniqueFd> ContainerService::spawn_monitor(const ContainerRecord &record, bool attach,
                                                      bool monitor_removes,
                                                      const std::vector<UniqueFd> &held) {
  auto runtime = env_.runtime_info(record.runtime);
  if (!runtime.ok()) {
    return std::move(runtime).error();
  }
  auto logs = log_options(record.config.log_options);
  if (!logs.ok()) {
    return std::move(logs).error();
  }
  MonitorConfig monitor;
  monitor.id = record.id;
  monitor.bundle = dir(record.id);
  monitor.engine_root = env_.root;
  monitor.plugin = runtime->plugin;
  monitor.plugin_file = runtime->plugin_file;
  monitor.plugin_options = runtime->options;
  monitor.tty = record.config.tty;
  monitor.stdin_open = record.config.interactive;
  monitor.wait_for_attach = attach;
  monitor.log = *logs;
  monitor.restart = record.config.restart;
  monitor.network = env_.networks != nullptr;
  for (const auto &fd : held) {
    monitor.held_fds.push_back(fd.get());
  }
  // An attached `berth run --rm` removes the container itself once it has
  // the exit code; a detached one, or one a daemon started, leaves the
  // removal to the monitor.
  if (record.config.auto_remove && (!attach || monitor_removes) && !env_.remove_command.empty()) {
    monitor.on_exit = env_.remove_command;
    monitor.on_exit.push_back(record.id);
  }
  if (auto written = write_monitor_config(dir(record.id), monitor); !written.ok()) {
    return std::move(written).error();
  }
  return spawn_detached(env_.helper_dir / "berth-shim", dir(record.id), monitor.held_fds);
}

sdk::Result<UniqueFd> ContainerService::start(const std::string &reference, bool attach,
                                              bool monitor_removes) {
  try {
    auto record = store_->find(reference);
    if (!record.ok()) {
      return std::move(record).error();
    }
    auto current = view_of(*record);
    if (current.ok() && current->running()) {
      if (!attach) {
        return UniqueFd();
      }
      return attach_for_control(*record);
    }
    if (auto mounted = ensure_rootfs(*record); !mounted.ok()) {
      return std::move(mounted).error();
    }
    wait_for_monitor(record->id); // the last one may still be letting go of the network
    std::error_code ec;
    fs::remove(dir(record->id) / monitor_files::kStopRequested, ec);
    SandboxSetup sandbox;
    if (env_.networks != nullptr) {
      auto made = env_.networks->setup(sandbox_request(*record));
      if (!made.ok()) {
        return with_context(std::move(made).error(), record->name);
      }
      sandbox = std::move(made).value();
    }
    auto ready = spawn_monitor(*record, attach, monitor_removes, sandbox.port_sockets);
    if (!ready.ok()) {
      release_network(record->id);
      return std::move(ready).error();
    }
    ReadyReader events(ready->get());
    auto event = events.next();
    if (!event || event->value("event", "") != "created") {
      wait_for_monitor(record->id);
      release_network(record->id);
      return with_context(event_error(event, record->name), record->name);
    }
    UniqueFd connection;
    if (attach) {
      auto connected = connect_attach(dir(record->id));
      if (!connected.ok()) {
        return std::move(connected).error();
      }
      connection.reset(*connected);
      if (auto hello = send_frame(connection.get(), Frame::hello,
                                  {{"stdin", record->config.interactive}, {"output", true}});
          !hello.ok()) {
        return std::move(hello).error();
      }
    }
    event = events.next();
    if (!event || event->value("event", "") != "started") {
      return with_context(event_error(event, record->name), record->name);
    }
    return connection;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), reference);
  }
}

SandboxRequest ContainerService::sandbox_request(const ContainerRecord &record) const {
  const auto home = dir(record.id);
  SandboxRequest request;
  request.container = record.id;
  request.name = record.name;
  std::ifstream hostname(home / "hostname");
  std::getline(hostname, request.hostname);
  request.ports = record.config.ports;
  request.extra_hosts = extra_host_lines(record.config.extra_hosts);
  request.hosts_file = home / "hosts";
  request.resolv_file = home / "resolv.conf";
  request.custom_dns = !record.config.dns.empty();
  return request;
}

void ContainerService::release_network(const std::string &id) {
  if (env_.networks != nullptr) {
    (void)env_.networks->teardown(id);
  }
}

// Blocks until no monitor holds the container's lock: a monitor that
// recorded the exit may still be detaching the network.
void ContainerService::wait_for_monitor(const std::string &id) {
  wait_for_monitor_exit(dir(id));
}

sdk::Result<UniqueFd> ContainerService::attach(const std::string &reference) {
  auto current = running_view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  return attach_for_control(current->record);
}

sdk::Result<UniqueFd> ContainerService::attach_for_control(const ContainerRecord &record) {
  auto connected = connect_attach(dir(record.id));
  if (!connected.ok()) {
    return std::move(connected).error();
  }
  UniqueFd connection(*connected);
  if (auto hello = send_frame(connection.get(), Frame::hello,
                              {{"stdin", record.config.interactive}, {"output", true}});
      !hello.ok()) {
    return std::move(hello).error();
  }
  return connection;
}

sdk::Result<void> ContainerService::stop_record(const ContainerRecord &record, int timeout_seconds,
                                                int signal) {
  auto connection = connect_attach(dir(record.id));
  if (!connection.ok()) {
    return {}; // no monitor: nothing runs
  }
  UniqueFd fd(*connection);
  // A monitor that closes the connection at once is exiting (the program
  // ended and stop-requested keeps it from restarting): nothing runs, as
  // when it is gone already; the caller waits for its lock.
  if (!send_frame(fd.get(), Frame::hello, {{"stdin", false}, {"output", false}}).ok()) {
    return {};
  }
  (void)send_frame(fd.get(), Frame::signal, {{"signal", signal}});
  if (signal != SIGKILL) {
    if (read_until_exit(fd.get(), nullptr, timeout_seconds * 1000).ok()) {
      return {};
    }
    (void)send_frame(fd.get(), Frame::signal, {{"signal", SIGKILL}});
  }
  auto exited = read_until_exit(fd.get(), nullptr, kKillPatienceMs);
  if (!exited.ok() && exited.error().code == sdk::Errc::busy) {
    return with_context(std::move(exited).error(), record.name);
  }
  return {};
}

sdk::Result<void> ContainerService::stop(const std::string &reference, int timeout_seconds) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (!current->running() && current->state.status != "created") {
    return {};
  }
  if (auto written = write_text(dir(current->record.id) / monitor_files::kStopRequested, "");
      !written.ok()) {
    return written;
  }
  const int signal = stop_signal_for(current->record);
  if (auto stopped = stop_record(current->record, timeout_seconds, signal); !stopped.ok()) {
    return stopped;
  }
  wait_for_monitor(current->record.id);
  return {};
}

// --stop-signal, else the image's StopSignal, else SIGTERM, as in Docker.
int ContainerService::stop_signal_for(const ContainerRecord &record) {
  auto text = record.config.stop_signal;
  if (text.empty()) {
    auto image = images_.inspect(record.image_id);
    if (image.ok()) {
      text = image->value(nlohmann::json::json_pointer("/Config/StopSignal"), std::string{});
    }
  }
  return parse_signal(text).value_or(SIGTERM);
}

sdk::Result<ContainerView> ContainerService::running_view(const std::string &reference) {
  auto current = view(reference);
  if (current.ok() && !current->running()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "container " + current->record.name +
                               " is not running; start it first (berth start " +
                               current->record.name + ")");
  }
  return current;
}

sdk::Result<void> ContainerService::kill(const std::string &reference, int signal) {
  auto current = running_view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  auto connection = attach_for_control(current->record);
  if (!connection.ok()) {
    return std::move(connection).error();
  }
  if (signal == SIGKILL || signal == SIGTERM) {
    // A user's kill ends the restart loop, as docker kill does.
    (void)write_text(dir(current->record.id) / monitor_files::kStopRequested, "");
  }
  return send_frame(connection->get(), Frame::signal, {{"signal", signal}});
}

sdk::Result<void> ContainerService::restart(const std::string &reference, int timeout_seconds) {
  if (auto stopped = stop(reference, timeout_seconds); !stopped.ok()) {
    return stopped;
  }
  // The old monitor lets go of its lock once it has recorded the exit.
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  wait_for_monitor(current->record.id);
  auto started = start(reference, false);
  if (!started.ok()) {
    return std::move(started).error();
  }
  return {};
}

sdk::Result<int> ContainerService::wait(const std::string &reference,
                                        const std::function<bool()> &cancelled) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (current->running()) {
    auto connection = connect_attach(dir(current->record.id));
    if (connection.ok()) {
      UniqueFd fd(*connection);
      (void)send_frame(fd.get(), Frame::hello, {{"stdin", false}, {"output", false}});
      auto code = read_until_exit(fd.get(), nullptr, -1, cancelled);
      if (code.ok() || code.error().code == sdk::Errc::cancelled) {
        return code;
      }
    }
    current = view(reference);
    if (!current.ok()) {
      return std::move(current).error();
    }
  }
  return current->state.exit_code;
}

} // namespace berth
