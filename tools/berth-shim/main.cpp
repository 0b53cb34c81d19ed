// berth-shim: one per container. It outlives the `berth` command that
// started it: it holds the container's stdio, writes the json-file log,
// waits for the init, records how it ended, restarts it when the policy says
// so, and serves attach clients. Single-threaded: one poll loop.
//
//   berth-shim CONTAINER-DIR READY-FD
//
// READY-FD receives JSON lines: {"event":"created"}, then {"event":"started",
// "pid":N} or {"event":"failed","code":"not_found","message":"..."}.
#include "container/json_log.hpp"
#include "container/monitor.hpp"
#include "network/network_service.hpp"
#include "plugin/host_services.hpp"
#include "plugin/registry.hpp"
#include "util/fd.hpp"

#include <berth/sdk/runtime.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

namespace berth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Clients are non-blocking with a bounded queue each: a client that stops
// reading (its stdout piped into a stalled program) must not stall the
// container, its log or its exit; past the bound it is disconnected.
struct Client {
  UniqueFd fd;
  FrameReader reader;
  std::string pending; // frames not yet written
  bool output = true;
  bool stdin_attached = false;
};

constexpr std::size_t kClientQueueLimit = std::size_t{16} * 1024 * 1024;

void flush_client(Client &client) {
  while (!client.pending.empty()) {
    const auto n = ::send(client.fd.get(), client.pending.data(), client.pending.size(),
                          MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    if (n <= 0) {
      client.fd.reset();
      client.pending.clear();
      return;
    }
    client.pending.erase(0, static_cast<std::size_t>(n));
  }
}

std::string errc_text(sdk::Errc code) {
  return sdk::errc_name(code);
}

class Monitor {
public:
  Monitor(fs::path dir, MonitorConfig config, std::shared_ptr<sdk::IsolationBackend> backend,
          json spec, int ready)
      : dir_(std::move(dir)), config_(std::move(config)), backend_(std::move(backend)),
        spec_(std::move(spec)), ready_(ready), log_(dir_ / monitor_files::kLog, config_.log) {}

  int run();

private:
  sdk::Result<void> launch();
  sdk::Result<void> open_io(sdk::ProcessIo &io, UniqueFd &console_listener);
  void close_child_ends();
  void serve_until_exit();
  void on_output(int fd, const char *stream);
  void on_client(Client &client);
  void on_frame(Client &client, Frame type, const std::string &payload);
  void accept_clients();
  bool await_first_client();
  void broadcast(Frame type, const std::string &payload);
  void flush_clients();
  void reap(bool &exited);
  void record_exit(int status);
  bool should_restart() const;
  void backoff();
  void report(const json &event);
  void finish_report();
  void save() { (void)write_monitor_state(dir_, state_); }

  fs::path dir_;
  MonitorConfig config_;
  std::shared_ptr<sdk::IsolationBackend> backend_;
  json spec_;
  int ready_;
  JsonLogWriter log_;
  MonitorState state_;
  UniqueFd listener_;
  UniqueFd signals_;
  std::vector<std::unique_ptr<Client>> clients_;
  // Our ends of the container's stdio, or the pty master in all three roles.
  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  UniqueFd child_stdin_;
  UniqueFd child_stdout_;
  UniqueFd child_stderr_;
  bool stdin_closed_ = false;
  int exit_status_ = 0;
  int restart_streak_ = 0; // quick restarts in a row, for the back-off
  std::chrono::steady_clock::time_point started_;
};

void Monitor::report(const json &event) {
  if (ready_ >= 0) {
    (void)write_all(ready_, event.dump() + "\n");
  }
}

void Monitor::finish_report() {
  if (ready_ >= 0) {
    ::close(ready_);
    ready_ = -1;
  }
}

sdk::Result<void> Monitor::open_io(sdk::ProcessIo &io, UniqueFd &console_listener) {
  if (config_.tty) {
    ::unlink(monitor_files::kConsole);
    console_listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, monitor_files::kConsole, sizeof address.sun_path - 1);
    if (::bind(console_listener.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) <
            0 ||
        ::listen(console_listener.get(), 1) < 0) {
      return sdk::errno_error("listen", (dir_ / monitor_files::kConsole).string());
    }
    io.console_socket = monitor_files::kConsole; // we run in the container's directory
    return {};
  }
  auto make = [](UniqueFd &ours, UniqueFd &theirs, bool we_write) -> bool {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) {
      return false;
    }
    ours.reset(we_write ? fds[1] : fds[0]);
    theirs.reset(we_write ? fds[0] : fds[1]);
    return true;
  };
  if ((config_.stdin_open && !make(stdin_, child_stdin_, true)) ||
      !make(stdout_, child_stdout_, false) || !make(stderr_, child_stderr_, false)) {
    return sdk::errno_error("pipe2", config_.id);
  }
  io.stdin_fd = child_stdin_.get();
  io.stdout_fd = child_stdout_.get();
  io.stderr_fd = child_stderr_.get();
  return {};
}

void Monitor::close_child_ends() {
  child_stdin_.reset();
  child_stdout_.reset();
  child_stderr_.reset();
}

sdk::Result<void> Monitor::launch() {
  sdk::ProcessIo io;
  UniqueFd console_listener;
  if (auto opened = open_io(io, console_listener); !opened.ok()) {
    return opened;
  }
  auto created = backend_->create(config_.id, config_.bundle.string(), spec_, io);
  close_child_ends();
  if (!created.ok()) {
    return std::move(created).error();
  }
  if (config_.tty) {
    UniqueFd connection(::accept4(console_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    auto master = receive_fd(connection.get());
    ::unlink(monitor_files::kConsole);
    if (!master.ok()) {
      (void)backend_->remove(config_.id);
      return std::move(master).error();
    }
    stdout_ = std::move(master).value();
    stdin_.reset(::fcntl(stdout_.get(), F_DUPFD_CLOEXEC, 0));
  }
  state_.pid = created->pid;
  state_.pid_start_time = process_start_time(created->pid).value_or(0);
  state_.status = "created";
  save();
  report({{"event", "created"}, {"pid", created->pid}});
  if (config_.wait_for_attach && !await_first_client()) {
    (void)backend_->remove(config_.id);
    return sdk::make_error(sdk::Errc::cancelled, "no client attached", config_.id);
  }
  config_.wait_for_attach = false; // restarts do not wait again
  if (auto started = backend_->start(config_.id); !started.ok()) {
    (void)backend_->remove(config_.id);
    return started;
  }
  started_ = std::chrono::steady_clock::now();
  state_.status = "running";
  state_.started_at = rfc3339_now();
  state_.error.clear();
  save();
  report({{"event", "started"}, {"pid", state_.pid}});
  finish_report();
  return {};
}

bool Monitor::await_first_client() {
  pollfd fd{listener_.get(), POLLIN, 0};
  constexpr int kAttachPatienceMs = 60000;
  while (clients_.empty()) {
    const int ready = ::poll(&fd, 1, kAttachPatienceMs);
    if (ready <= 0 && errno != EINTR) {
      return false;
    }
    accept_clients();
  }
  // The client's hello says what it wants before any output flows.
  auto &client = *clients_.front();
  pollfd hello{client.fd.get(), POLLIN, 0};
  while (::poll(&hello, 1, kAttachPatienceMs) > 0) {
    char buffer[4096];
    const auto n = ::read(client.fd.get(), buffer, sizeof buffer);
    if (n <= 0) {
      return false;
    }
    client.reader.feed(buffer, static_cast<std::size_t>(n));
    while (auto frame = client.reader.next()) {
      on_frame(client, frame->first, frame->second);
      if (frame->first == Frame::hello) {
        return true;
      }
    }
  }
  return false;
}

void Monitor::accept_clients() {
  while (true) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      return;
    }
    auto client = std::make_unique<Client>();
    client->fd.reset(fd);
    clients_.push_back(std::move(client));
  }
}

void Monitor::broadcast(Frame type, const std::string &payload) {
  const auto frame = encode_frame(type, payload);
  for (auto &client : clients_) {
    if (client->fd.get() >= 0 && (client->output || type == Frame::exit)) {
      client->pending += frame;
      flush_client(*client);
      if (client->pending.size() > kClientQueueLimit) {
        client->fd.reset();
        client->pending.clear();
      }
    }
  }
}

// Before exiting: what is queued still reaches the clients, for a while.
void Monitor::flush_clients() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> fds;
    for (auto &client : clients_) {
      if (client->fd.get() >= 0 && !client->pending.empty()) {
        fds.push_back({client->fd.get(), POLLOUT, 0});
      }
    }
    if (fds.empty() || ::poll(fds.data(), fds.size(), 100) < 0) {
      return;
    }
    for (auto &client : clients_) {
      if (client->fd.get() >= 0) {
        flush_client(*client);
      }
    }
  }
}

void Monitor::on_output(int fd, const char *stream) {
  char buffer[65536];
  const auto n = ::read(fd, buffer, sizeof buffer);
  if (n <= 0) {
    if (fd == stdout_.get()) {
      stdout_.reset();
    } else {
      stderr_.reset();
    }
    return;
  }
  const std::string data(buffer, static_cast<std::size_t>(n));
  log_.write(stream, data);
  broadcast(std::string_view(stream) == "stderr" ? Frame::stderr_data : Frame::stdout_data, data);
}

void Monitor::on_frame(Client &client, Frame type, const std::string &payload) {
  switch (type) {
  case Frame::hello: {
    const auto hello = json::parse(payload, nullptr, false);
    client.output = hello.is_object() && hello.value("output", true);
    client.stdin_attached = hello.is_object() && hello.value("stdin", false);
    break;
  }
  case Frame::stdin_data:
    if (stdin_.get() >= 0 && !stdin_closed_) {
      (void)write_all(stdin_.get(), payload);
    }
    break;
  case Frame::stdin_close:
    // A pty has no end-of-file of its own; the program sees ^D if it wants.
    if (!config_.tty) {
      stdin_.reset();
      stdin_closed_ = true;
    }
    break;
  case Frame::resize: {
    const auto size = json::parse(payload, nullptr, false);
    if (config_.tty && size.is_object() && stdout_.get() >= 0) {
      winsize ws{};
      ws.ws_row = size.value("rows", std::uint16_t{24});
      ws.ws_col = size.value("cols", std::uint16_t{80});
      ::ioctl(stdout_.get(), TIOCSWINSZ, &ws);
    }
    break;
  }
  case Frame::signal: {
    const auto request = json::parse(payload, nullptr, false);
    if (request.is_object()) {
      (void)backend_->kill(config_.id, request.value("signal", SIGTERM), false);
    }
    break;
  }
  default: break;
  }
}

void Monitor::on_client(Client &client) {
  char buffer[65536];
  const auto n = ::read(client.fd.get(), buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    return;
  }
  if (n <= 0) {
    client.fd.reset();
    return;
  }
  client.reader.feed(buffer, static_cast<std::size_t>(n));
  while (auto frame = client.reader.next()) {
    on_frame(client, frame->first, frame->second);
  }
}

void Monitor::reap(bool &exited) {
  while (true) {
    int status = 0;
    const int pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      return;
    }
    if (pid == state_.pid) {
      exit_status_ = status;
      exited = true;
    }
  }
}

void Monitor::serve_until_exit() {
  bool exited = false;
  // After the init exits, output still in the pipes is drained before the
  // exit is announced, so `run` prints everything the program wrote.
  auto drained = [&] { return stdout_.get() < 0 && stderr_.get() < 0; };
  auto drain_deadline = std::chrono::steady_clock::time_point::max();
  while (!exited || (!drained() && std::chrono::steady_clock::now() < drain_deadline)) {
    std::vector<pollfd> fds;
    fds.push_back({signals_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    fds.push_back({stdout_.get(), POLLIN, 0});
    fds.push_back({stderr_.get(), POLLIN, 0});
    for (auto &client : clients_) {
      const short events = client->pending.empty() ? POLLIN : POLLIN | POLLOUT;
      fds.push_back({client->fd.get(), events, 0});
    }
    const int timeout = exited ? 100 : -1;
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
      break;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (::read(signals_.get(), &info, sizeof info) == sizeof info) {
      }
      reap(exited);
      if (exited && drain_deadline == std::chrono::steady_clock::time_point::max()) {
        drain_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
      }
    }
    if ((fds[1].revents & POLLIN) != 0) {
      accept_clients();
    }
    if (fds[2].revents != 0) {
      on_output(stdout_.get(), "stdout");
    }
    if (fds[3].revents != 0 && stderr_.get() >= 0) {
      on_output(stderr_.get(), "stderr");
    }
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      if ((fds[4 + i].revents & POLLOUT) != 0 && clients_[i]->fd.get() >= 0) {
        flush_client(*clients_[i]);
      }
      if ((fds[4 + i].revents & ~POLLOUT) != 0 && clients_[i]->fd.get() >= 0) {
        on_client(*clients_[i]);
      }
    }
    std::erase_if(clients_, [](const auto &client) { return client->fd.get() < 0; });
  }
  stdout_.reset();
  stderr_.reset();
  stdin_.reset();
  log_.flush();
}

void Monitor::record_exit(int status) {
  state_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (auto ended = backend_->state(config_.id); ended.ok()) {
    state_.oom_killed = ended->oom_killed;
  }
  (void)backend_->remove(config_.id);
  state_.status = "exited";
  state_.pid = 0;
  state_.pid_start_time = 0;
  state_.finished_at = rfc3339_now();
  save();
  broadcast(Frame::exit,
            json{{"exitCode", state_.exit_code}, {"oomKilled", state_.oom_killed}}.dump());
}

bool Monitor::should_restart() const {
  if (fs::exists(dir_ / monitor_files::kStopRequested)) {
    return false;
  }
  const auto &policy = config_.restart;
  if (policy.name == "always" || policy.name == "unless-stopped") {
    return true;
  }
  if (policy.name == "on-failure" && state_.exit_code != 0) {
    return policy.max_retries == 0 || state_.restart_count < policy.max_retries;
  }
  return false;
}

// Docker's back-off: 100 ms doubling per restart, reset after 10 s of running.
void Monitor::backoff() {
  const auto ran = std::chrono::steady_clock::now() - started_;
  restart_streak_ = ran > std::chrono::seconds(10) ? 0 : restart_streak_ + 1;
  const auto delay = std::min(100 << std::min(restart_streak_, 10), 60000);
  state_.status = "restarting";
  save();
  pollfd fd{listener_.get(), POLLIN, 0};
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay);
  while (std::chrono::steady_clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (::poll(&fd, 1, static_cast<int>(left.count()) + 1) > 0) {
      accept_clients();
    }
    if (fs::exists(dir_ / monitor_files::kStopRequested)) {
      return;
    }
  }
}

int Monitor::run() {
  state_.monitor_pid = ::getpid();
  auto listening = listen_attach(dir_);
  if (!listening.ok()) {
    report({{"event", "failed"}, {"code", "io"}, {"message", listening.error().describe()}});
    return 1;
  }
  listener_.reset(*listening);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signals_.reset(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  while (true) {
    if (auto launched = launch(); !launched.ok()) {
      state_.status = "exited";
      state_.exit_code = launched.error().code == sdk::Errc::not_found    ? 127
                         : launched.error().code == sdk::Errc::permission ? 126
                                                                          : 128;
      state_.error = launched.error().describe();
      state_.finished_at = rfc3339_now();
      save();
      report({{"event", "failed"},
              {"code", errc_text(launched.error().code)},
              {"message", launched.error().describe()}});
      finish_report();
      broadcast(Frame::exit, json{{"exitCode", state_.exit_code}, {"error", state_.error}}.dump());
      break;
    }
    serve_until_exit();
    record_exit(exit_status_);
    if (!should_restart()) {
      break;
    }
    backoff();
    if (fs::exists(dir_ / monitor_files::kStopRequested)) {
      // Stopped while waiting to restart: it ended with the last exit.
      state_.status = "exited";
      save();
      broadcast(Frame::exit,
                json{{"exitCode", state_.exit_code}, {"oomKilled", state_.oom_killed}}.dump());
      break;
    }
    ++state_.restart_count;
  }
  flush_clients();
  clients_.clear();
  return 0;
}

// Runs the command the engine left for after the last exit (`--rm` with
// -d), once this shim no longer holds anything of the container.
void run_on_exit(const std::vector<std::string> &command) {
  if (command.empty()) {
    return;
  }
  const int pid = ::fork();
  if (pid == 0) {
    std::vector<char *> argv;
    argv.reserve(command.size() + 1);
    for (const auto &arg : command) {
      argv.push_back(const_cast<char *>(arg.c_str()));
    }
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (pid > 0) {
    ::waitpid(pid, nullptr, 0);
  }
}

int shim_main(const fs::path &dir, int ready) {
  auto lock = hold_monitor_lock(dir);
  if (!lock.valid()) {
    const json failed = {{"event", "failed"},
                         {"code", "busy"},
                         {"message", "another berth-shim already monitors this container"}};
    (void)write_all(ready, failed.dump() + "\n");
    return 1;
  }
  // Container inits (and crun's, whose parent exits) become our children.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  auto config = read_monitor_config(dir);
  auto fail = [&](const sdk::Error &error) {
    const json failed = {
        {"event", "failed"}, {"code", errc_text(error.code)}, {"message", error.describe()}};
    (void)write_all(ready, failed.dump() + "\n");
    return 1;
  };
  if (!config.ok()) {
    return fail(config.error());
  }
  // The published ports' sockets stay ours for life, never the container's.
  for (const int fd : config->held_fds) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  PluginRegistry registry;
  registry.load_file(config->plugin_file);
  auto host = std::make_shared<CoreHostServices>(config->plugin, config->engine_root);
  auto backend =
      registry.create<sdk::IsolationBackend>(config->plugin, config->plugin_options, host);
  if (!backend.ok()) {
    return fail(backend.error());
  }
  json spec;
  {
    std::ifstream spec_file(config->bundle / "config.json");
    spec = json::parse(spec_file, nullptr, false);
  }
  if (spec.is_discarded()) {
    return fail(sdk::make_error(sdk::Errc::io, "unreadable config.json", config->bundle.string()));
  }
  const auto on_exit = config->on_exit;
  const auto held_ports = config->held_fds;
  const bool network = config->network;
  const auto engine_root = config->engine_root;
  const auto id = config->id;
  int code = 0;
  {
    Monitor monitor(dir, std::move(config).value(), std::move(backend).value(), std::move(spec),
                    ready);
    code = monitor.run();
  }
  // Before the lock goes: whoever waits for it (stop, rm, start) finds the
  // network released, and the published ports free (a restart binds them
  // again at once; left to this process's exit, they were still bound then).
  if (network) {
    (void)NetworkService::for_monitor(engine_root)->teardown(id);
  }
  for (const int fd : held_ports) {
    ::close(fd);
  }
  lock.reset();
  run_on_exit(on_exit);
  return code;
}

} // namespace
} // namespace berth

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: berth-shim CONTAINER-DIR READY-FD (started by berth, not by hand)\n";
    return 2;
  }
  // berth waits for the process it started; the monitor is a child of it
  // that init (or a subreaper) inherits, so berth leaves no zombie behind
  // and never has to reap the monitor.
  if (const pid_t monitor = ::fork(); monitor != 0) {
    ::_exit(monitor < 0 ? 1 : 0);
  }
  const std::filesystem::path dir = argv[1];
  const int ready = std::atoi(argv[2]);
  if (::chdir(dir.c_str()) < 0) {
    std::cerr << "berth-shim: " << dir << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  // Only this process reports on the ready pipe, never a child of it.
  ::fcntl(ready, F_SETFD, FD_CLOEXEC);
  return berth::shim_main(dir, ready);
}
