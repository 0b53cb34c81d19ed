// iperf3, for the cross-check of the built-in traffic generator: programs
// started inside the namespaces, not sockets made there.
#include "bench/traffic.hpp"
#include "bench/traffic_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::bench {
namespace {

using namespace std::chrono_literals;
using sdk::Errc;
using sdk::UniqueFd;

std::optional<std::string> find_iperf3() {
  const auto executable = [](const std::string &file) { return ::access(file.c_str(), X_OK) == 0; };
  if (executable("/usr/bin/iperf3")) {
    return "/usr/bin/iperf3";
  }
  const char *path = std::getenv("PATH");
  std::istringstream directories(path != nullptr ? path : "");
  for (std::string directory; std::getline(directories, directory, ':');) {
    if (!directory.empty() && executable(directory + "/iperf3")) {
      return directory + "/iperf3";
    }
  }
  return std::nullopt;
}

// A child we forked. Unless it was reaped already, it is killed (SIGKILL, by
// its PID) and reaped when this goes, so no error path leaves iperf3 behind.
class Child {
public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(Child &&other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  Child &operator=(Child &&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait(0);
    }
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

  // Its exit status once it has exited, nullopt while it runs.
  std::optional<int> wait(int options) {
    int status = 0;
    pid_t rc = 0;
    do {
      rc = ::waitpid(pid_, &status, options);
    } while (rc < 0 && errno == EINTR);
    if (rc != pid_) {
      return std::nullopt;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

private:
  pid_t pid_;
};

// The forked child of a multi-threaded process may only make system calls
// until it execs: everything it needs is prepared before fork().
[[noreturn]] void exec_in_netns(const char *program, char *const argv[], int netns, int out,
                                int err) {
  // Dies with us, so a killed `berth bench` leaves no iperf3 running.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr); // the caller may block SIGINT for its own handling
  if (netns >= 0 && ::setns(netns, CLONE_NEWNET) != 0) {
    ::_exit(126);
  }
  if (::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0) {
    ::_exit(126);
  }
  ::execv(program, argv);
  ::_exit(127);
}

// Starts program with args inside netns ("": ours), stdout to out and
// stderr to /dev/null.
sdk::Result<Child> spawn_in_netns(const std::string &program, std::vector<std::string> args,
                                  const std::string &netns, int out) {
  UniqueFd ns;
  if (!netns.empty()) {
    auto opened = open_netns(netns);
    if (!opened) {
      return std::move(opened).error();
    }
    ns = std::move(*opened);
  }
  const UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (!null.valid()) {
    return sdk::errno_error("open", "/dev/null");
  }
  std::vector<char *> argv;
  argv.reserve(args.size() + 1);
  for (auto &arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return sdk::errno_error("fork", program);
  }
  if (pid == 0) {
    exec_in_netns(program.c_str(), argv.data(), ns.get(), out < 0 ? null.get() : out, null.get());
  }
  return Child(pid);
}

ino_t netns_inode(const std::string &file) {
  struct stat status {};
  return ::stat(file.c_str(), &status) == 0 ? status.st_ino : 0;
}

// Whether port is in LISTEN state in the network namespace of pid, as its
// /proc/PID/net/tcp{,6} show (iperf3 -s listens on [::] unless bound).
bool listens(pid_t pid, std::uint16_t port) {
  const auto proc = "/proc/" + std::to_string(pid) + "/net/";
  for (const char *table : {"tcp", "tcp6"}) {
    std::ifstream sockets(proc + table);
    std::string line;
    std::getline(sockets, line); // the header
    while (std::getline(sockets, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos &&
          std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port) {
        return true;
      }
    }
  }
  return false;
}

// Waits until the iperf3 server listens on port. Read from /proc rather than
// probed with a connection: `iperf3 -s -1` serves exactly one connection and
// would spend it on the probe. Until the child has joined its namespace its
// /proc/PID/net is ours, so the namespace is checked first.
sdk::Result<void> wait_until_listening(Child &server, const std::string &netns, std::uint16_t port,
                                       const Cancelled &cancelled, const std::string &where) {
  const auto wanted = netns_inode(netns.empty() ? "/proc/thread-self/ns/net" : netns);
  const auto joined = "/proc/" + std::to_string(server.pid()) + "/ns/net";
  const auto deadline = Clock::now() + kConnectTimeout;
  auto next_check = Clock::now() + kCancelCheck;
  while (!(netns_inode(joined) == wanted && listens(server.pid(), port))) {
    if (auto status = server.wait(WNOHANG)) {
      return sdk::make_error(Errc::io,
                             "iperf3 -s exited with status " + std::to_string(*status) +
                                 " before listening (is the port taken?)",
                             where);
    }
    if (Clock::now() >= deadline) {
      return sdk::make_error(Errc::io, "iperf3 -s did not listen within 3 s", where);
    }
    if (Clock::now() >= next_check) {
      if (is_cancelled(cancelled)) {
        return cancelled_error(where);
      }
      next_check = Clock::now() + kCancelCheck;
    }
    // Setup, not measurement: a short nap beats a busy loop on a shared machine.
    std::this_thread::sleep_for(5ms);
  }
  return {};
}

// Everything the client prints on stdout, until it closes it.
sdk::Result<std::string> read_output(int fd, Clock::time_point deadline, const Cancelled &cancelled,
                                     const std::string &where) {
  std::string out;
  std::array<char, 16384> buffer{};
  while (true) {
    if (is_cancelled(cancelled)) {
      return cancelled_error(where);
    }
    if (Clock::now() >= deadline) {
      return sdk::make_error(Errc::io, "iperf3 -c did not finish in time", where);
    }
    if (!wait_for(fd, POLLIN, kCancelCheck)) {
      continue;
    }
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n == 0) {
      return out;
    }
    if (n < 0 && errno != EINTR) {
      return sdk::errno_error("read iperf3's output", where);
    }
    out.append(buffer.data(), static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
  }
}

// iperf3 -J's report: end.sum_received.bits_per_second, or its "error".
sdk::Result<double> received_gigabits(const std::string &output, int status,
                                      const std::string &where) {
  const auto report = nlohmann::json::parse(output, nullptr, false);
  if (report.is_discarded() || !report.is_object()) {
    return sdk::make_error(
        Errc::io,
        "iperf3 -c exited with status " + std::to_string(status) + " without a JSON report", where);
  }
  if (report.contains("error") && report["error"].is_string()) {
    return sdk::make_error(Errc::io, "iperf3: " + report["error"].get<std::string>(), where);
  }
  const nlohmann::json::json_pointer field("/end/sum_received/bits_per_second");
  if (!report.contains(field) || !report[field].is_number()) {
    return sdk::make_error(Errc::io, "iperf3's report has no end.sum_received.bits_per_second",
                           where);
  }
  return report[field].get<double>() / 1e9;
}

} // namespace

sdk::Result<double> iperf3_stream(const TrafficPath &path, double seconds,
                                  const Cancelled &cancelled) {
  if (auto valid = check_run(path, seconds); !valid) {
    return valid.error();
  }
  const auto iperf3 = find_iperf3();
  if (!iperf3) {
    return sdk::make_error(
        Errc::unavailable,
        "iperf3 is not installed (apt-get install iperf3); the built-in figure stands alone",
        "iperf3");
  }
  auto port = path.listen_port;
  if (port == 0) {
    // iperf3 cannot report the port it got: take a free one and let it go.
    auto free = bind_server(path, false);
    if (!free) {
      return std::move(free).error();
    }
    port = free->port;
  }
  const auto listening = server_side(path, port);
  std::vector<std::string> server_args = {*iperf3, "-s", "-1", "-p", std::to_string(port)};
  if (path.listen_address != "0.0.0.0") {
    server_args.insert(server_args.end(), {"-B", path.listen_address});
  }
  auto server = spawn_in_netns(*iperf3, server_args, path.server_netns, -1);
  if (!server) {
    return std::move(server).error();
  }
  if (auto up = wait_until_listening(*server, path.server_netns, port, cancelled, listening); !up) {
    return up.error();
  }
  const auto dialled = dialled_port(path, port);
  const auto where = client_side(path, dialled);
  std::array<int, 2> pipe{};
  if (::pipe2(pipe.data(), O_CLOEXEC) != 0) {
    return sdk::errno_error("pipe", where);
  }
  UniqueFd output(pipe[0]);
  UniqueFd output_end(pipe[1]);
  const auto whole_seconds = std::max(1.0, std::ceil(seconds));
  auto client = spawn_in_netns(*iperf3,
                               {*iperf3, "-c", path.connect_address, "-p", std::to_string(dialled),
                                "-t", std::to_string(static_cast<int>(whole_seconds)), "-J"},
                               path.client_netns, output_end.get());
  output_end.reset(); // the child's copy is the last: EOF when it exits
  if (!client) {
    return std::move(client).error();
  }
  // iperf3 connects (up to its own timeout), runs, then exchanges results.
  const auto deadline = Clock::now() + to_duration(whole_seconds) + 2 * kConnectTimeout + kGrace;
  auto report = read_output(output.get(), deadline, cancelled, where);
  if (!report) {
    return std::move(report).error();
  }
  const auto status = client->wait(0).value_or(-1);
  return received_gigabits(*report, status, where);
}

} // namespace berth::bench
