#include "bench/traffic.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stop_token>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

namespace berth::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using sdk::Errc;
using sdk::UniqueFd;

constexpr auto kConnectTimeout = 3s;
// How often a blocked call comes back to look at Cancelled: the API promises 100 ms.
constexpr auto kCancelCheck = 100ms;
// How long past `seconds` a run may take before it counts as stuck: draining
// socket buffers and a last reply take milliseconds, a broken path forever.
constexpr auto kGrace = 3s;
constexpr std::size_t kSendBuffer = 128 * 1024;
constexpr std::size_t kReceiveBuffer = 256 * 1024;

bool is_cancelled(const Cancelled &cancelled) {
  return cancelled && cancelled();
}

sdk::Error cancelled_error(const std::string &where) {
  return sdk::make_error(Errc::cancelled, "cancelled", where);
}

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::uint16_t dialled_port(const TrafficPath &path, std::uint16_t server_port) {
  if (path.connect_port != 0) {
    return path.connect_port;
  }
  return path.listen_port != 0 ? path.listen_port : server_port;
}

// "10.201.0.3:5201 from netns /x": where the client dials, for its errors.
std::string client_side(const TrafficPath &path, std::uint16_t port) {
  auto where = path.connect_address + ":" + std::to_string(port);
  return path.client_netns.empty() ? where : where + " from netns " + path.client_netns;
}

// "0.0.0.0:5201 in netns /x": where the server listens, for its errors.
std::string server_side(const TrafficPath &path, std::uint16_t port) {
  auto where = path.listen_address + ":" + std::to_string(port);
  return path.server_netns.empty() ? where : where + " in netns " + path.server_netns;
}

sdk::Result<void> check_run(const TrafficPath &path, double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0) {
    return sdk::make_error(Errc::invalid_argument,
                           "a run needs a positive duration, not " + std::to_string(seconds),
                           client_side(path, dialled_port(path, path.listen_port)));
  }
  return {};
}

sdk::Result<sockaddr_in> ipv4_address(const std::string &address, std::uint16_t port,
                                      const std::string &where) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &out.sin_addr) != 1) {
    return sdk::make_error(Errc::invalid_argument,
                           "'" + address + "' is not an IPv4 address (like 10.0.0.2)", where);
  }
  return out;
}

// A socket stays in the namespace it was created in, and setns moves only
// the calling thread: a short-lived thread joins netns, makes the socket and
// ends, so none of our other code ever runs in the wrong namespace.
template <class Make>
sdk::Result<UniqueFd> make_in_netns(const std::string &netns, const Make &make) {
  if (netns.empty()) {
    return make();
  }
  std::optional<sdk::Result<UniqueFd>> made;
  std::thread([&] {
    const UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) {
      made.emplace(sdk::errno_error("open network namespace", netns));
    } else if (::setns(ns.get(), CLONE_NEWNET) != 0) {
      made.emplace(sdk::errno_error("setns(CLONE_NEWNET)", netns));
    } else {
      made.emplace(make());
    }
  }).join();
  return std::move(*made);
}

sdk::Result<UniqueFd> tcp_socket(const std::string &where) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return sdk::errno_error("socket(AF_INET, SOCK_STREAM)", where);
  }
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
  return ntohs(address.sin_port);
}

struct Listener {
  UniqueFd fd;
  std::uint16_t port = 0; // as bound: a real port when listen_port was 0
};

// Binds listen_address:listen_port in the server's namespace, and listens
// unless only a free port number is wanted.
sdk::Result<Listener> bind_server(const TrafficPath &path, bool listen) {
  const auto where = server_side(path, path.listen_port);
  auto address = ipv4_address(path.listen_address, path.listen_port, where);
  if (!address) {
    return std::move(address).error();
  }
  auto fd = make_in_netns(path.server_netns, [&]() -> sdk::Result<UniqueFd> {
    auto socket = tcp_socket(where);
    if (!socket) {
      return socket;
    }
    // A port just left by a previous run sits in TIME_WAIT; reuse it.
    const int on = 1;
    ::setsockopt(socket->get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(socket->get(), reinterpret_cast<const sockaddr *>(&*address), sizeof *address) !=
        0) {
      return sdk::errno_error("bind", where);
    }
    if (listen && ::listen(socket->get(), 4) != 0) {
      return sdk::errno_error("listen", where);
    }
    return socket;
  });
  if (!fd) {
    return std::move(fd).error();
  }
  const auto port = local_port(fd->get());
  return Listener{std::move(*fd), port};
}

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd wanted{fd, events, 0};
  int rc = 0;
  do {
    rc = ::poll(&wanted, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

// A non-blocking connect, polled in short slices so that Cancelled is heard.
sdk::Result<void> connect_within(int fd, const sockaddr_in &target, const std::string &where,
                                 const Cancelled &cancelled) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int error = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr *>(&target), sizeof target) != 0) {
    error = errno;
  }
  const auto deadline = Clock::now() + kConnectTimeout;
  while (error == EINPROGRESS) {
    if (is_cancelled(cancelled)) {
      return cancelled_error(where);
    }
    if (Clock::now() >= deadline) {
      return sdk::make_error(Errc::unavailable, "connect: no answer within 3 s", where);
    }
    if (wait_for(fd, POLLOUT, kCancelCheck)) {
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    }
  }
  ::fcntl(fd, F_SETFL, flags);
  if (error != 0) {
    return sdk::errno_error("connect", where, error);
  }
  return {};
}

// Blocking calls on the connection come back every kCancelCheck (EAGAIN), so
// a run hears Cancelled and its deadline without polling before each call.
void bound_blocking_calls(int fd) {
  const timeval timeout{0, std::chrono::microseconds(kCancelCheck).count()};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

void disable_nagle(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

bool timed_out(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

// Both ends of one TCP connection along the path.
struct Connection {
  UniqueFd server; // the accepted end, in server_netns
  UniqueFd client; // the dialling end, in client_netns
  std::string where;
};

sdk::Result<Connection> connect_path(const TrafficPath &path, const Cancelled &cancelled) {
  auto listener = bind_server(path, true);
  if (!listener) {
    return std::move(listener).error();
  }
  const auto port = dialled_port(path, listener->port);
  auto where = client_side(path, port);
  auto target = ipv4_address(path.connect_address, port, where);
  if (!target) {
    return std::move(target).error();
  }
  auto client = make_in_netns(path.client_netns, [&] { return tcp_socket(where); });
  if (!client) {
    return std::move(client).error();
  }
  if (auto connected = connect_within(client->get(), *target, where, cancelled); !connected) {
    return connected.error();
  }
  // The kernel completed the handshake, so a connection that reached our
  // listener is queued already; none there means the client reached someone
  // else on that address and port.
  if (!wait_for(listener->fd.get(), POLLIN, kConnectTimeout)) {
    return sdk::make_error(Errc::unavailable,
                           "connected, but not to the benchmark's server on " +
                               server_side(path, listener->port) +
                               " (is something else listening there?)",
                           where);
  }
  UniqueFd server(::accept4(listener->fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!server.valid()) {
    return sdk::errno_error("accept", server_side(path, listener->port));
  }
  for (const int fd : {server.get(), client->get()}) {
    bound_blocking_calls(fd);
  }
  return Connection{std::move(server), std::move(*client), std::move(where)};
}

// What the server side of a stream saw.
struct Received {
  std::uint64_t bytes = 0; // after the first read
  Clock::duration span{};  // from the first read to the last
  bool ended = false;      // the client shut down its side
  std::optional<sdk::Error> error;
};

// The server thread of tcp_stream. The bytes of the first read were sent
// before the clock started, so they are not counted: what remains is exactly
// what arrived between the first read and the last.
Received receive_stream(int fd, Clock::time_point deadline, const std::stop_token &stop,
                        const std::string &where) {
  std::vector<char> buffer(kReceiveBuffer);
  Received out;
  std::optional<Clock::time_point> first;
  while (true) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      const auto now = Clock::now();
      if (first) {
        out.bytes += static_cast<std::uint64_t>(n);
        out.span = now - *first;
      } else {
        first = now;
      }
    } else if (n == 0) {
      out.ended = true;
      return out;
    } else if (!timed_out(errno)) {
      out.error = sdk::errno_error("recv on the server side", where);
      return out;
    } else if (stop.stop_requested() || Clock::now() >= deadline) {
      return out;
    }
  }
}

// The client side of tcp_stream: writes as fast as the path takes it.
sdk::Result<void> send_stream(int fd, double seconds, const Cancelled &cancelled,
                              const std::string &where) {
  const std::vector<char> buffer(kSendBuffer, 'b');
  const auto start = Clock::now();
  const auto end = start + to_duration(seconds);
  auto next_check = start + kCancelCheck;
  for (auto now = start; now < end; now = Clock::now()) {
    // Cancelled is the caller's code: asked on a clock, not once per write.
    if (now >= next_check) {
      if (is_cancelled(cancelled)) {
        return cancelled_error(where);
      }
      next_check = now + kCancelCheck;
    }
    if (::send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL) < 0 && !timed_out(errno)) {
      return sdk::errno_error("send", where);
    }
  }
  return {};
}

double gigabits_per_second(std::uint64_t bytes, Clock::duration span) {
  return static_cast<double>(bytes) * 8 / std::chrono::duration<double>(span).count() / 1e9;
}

// The server thread of tcp_round_trips: sends back every byte it gets.
std::optional<sdk::Error> echo(int fd, Clock::time_point deadline, const std::stop_token &stop,
                               const std::string &where) {
  std::array<char, 64> buffer{};
  while (true) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n == 0) {
      return std::nullopt;
    }
    if (n < 0 && !timed_out(errno)) {
      return sdk::errno_error("recv on the server side", where);
    }
    if (n < 0 && (stop.stop_requested() || Clock::now() >= deadline)) {
      return std::nullopt;
    }
    for (ssize_t sent = 0; sent < n && Clock::now() < deadline;) {
      const ssize_t m =
          ::send(fd, buffer.data() + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
      if (m < 0 && !timed_out(errno)) {
        return sdk::errno_error("send on the server side", where);
      }
      sent += std::max<ssize_t>(m, 0);
    }
  }
}

// One request/response from the client: the round trip in microseconds.
sdk::Result<double> round_trip(int fd, const Cancelled &cancelled, const std::string &where) {
  const auto start = Clock::now();
  const auto give_up = start + kConnectTimeout;
  char byte = 'r';
  while (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) {
    if (!timed_out(errno)) {
      return sdk::errno_error("send", where);
    }
    if (is_cancelled(cancelled)) {
      return cancelled_error(where);
    }
    if (Clock::now() >= give_up) {
      return sdk::make_error(Errc::io, "the request could not be sent within 3 s", where);
    }
  }
  while (true) {
    const ssize_t n = ::recv(fd, &byte, 1, 0);
    if (n == 1) {
      return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    }
    if (n == 0) {
      return sdk::make_error(Errc::io, "the server closed the connection", where);
    }
    if (!timed_out(errno)) {
      return sdk::errno_error("recv", where);
    }
    if (is_cancelled(cancelled)) {
      return cancelled_error(where);
    }
    if (Clock::now() >= give_up) {
      return sdk::make_error(Errc::io, "no reply within 3 s", where);
    }
  }
}

sdk::Result<std::vector<double>>
time_round_trips(int fd, double seconds, const Cancelled &cancelled, const std::string &where) {
  std::vector<double> out;
  const auto start = Clock::now();
  const auto end = start + to_duration(seconds);
  auto next_check = start + kCancelCheck;
  for (auto now = start; now < end; now = Clock::now()) {
    if (now >= next_check) {
      if (is_cancelled(cancelled)) {
        return cancelled_error(where);
      }
      next_check = now + kCancelCheck;
    }
    auto rtt = round_trip(fd, cancelled, where);
    if (!rtt) {
      return std::move(rtt).error();
    }
    out.push_back(*rtt);
  }
  return out;
}

// iperf3, for the cross-check: programs in namespaces, not sockets.

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
    ns.reset(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) {
      return sdk::errno_error("open network namespace", netns);
    }
  }
  const UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (!null.valid()) {
    return sdk::errno_error("open", "/dev/null");
  }
  std::vector<char *> argv;
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

sdk::Result<double> tcp_stream(const TrafficPath &path, double seconds,
                               const Cancelled &cancelled) {
  if (auto valid = check_run(path, seconds); !valid) {
    return valid.error();
  }
  auto connection = connect_path(path, cancelled);
  if (!connection) {
    return std::move(connection).error();
  }
  const auto &where = connection->where;
  const auto deadline = Clock::now() + to_duration(seconds) + kGrace;
  Received received;
  std::jthread server([&](const std::stop_token &stop) {
    received = receive_stream(connection->server.get(), deadline, stop, where);
  });
  auto sent = send_stream(connection->client.get(), seconds, cancelled, where);
  if (!sent) {
    server.request_stop();
  }
  // The end of the stream: the server reads to here and stops the clock.
  ::shutdown(connection->client.get(), SHUT_WR);
  server.join();
  if (!sent) {
    return sent.error();
  }
  if (received.error) {
    return *received.error;
  }
  if (!received.ended) {
    return sdk::make_error(Errc::io, "the stream did not drain within 3 s of its end", where);
  }
  if (received.bytes == 0 || received.span <= Clock::duration::zero()) {
    return sdk::make_error(Errc::io, "no data reached the server", where);
  }
  return gigabits_per_second(received.bytes, received.span);
}

sdk::Result<std::vector<double>> tcp_round_trips(const TrafficPath &path, double seconds,
                                                 const Cancelled &cancelled) {
  if (auto valid = check_run(path, seconds); !valid) {
    return valid.error();
  }
  auto connection = connect_path(path, cancelled);
  if (!connection) {
    return std::move(connection).error();
  }
  // Without it each one-byte write would wait for the previous one's ACK.
  disable_nagle(connection->server.get());
  disable_nagle(connection->client.get());
  const auto &where = connection->where;
  const auto deadline = Clock::now() + to_duration(seconds) + kGrace;
  std::optional<sdk::Error> server_error;
  std::jthread server([&](const std::stop_token &stop) {
    server_error = echo(connection->server.get(), deadline, stop, where);
  });
  auto round_trips = time_round_trips(connection->client.get(), seconds, cancelled, where);
  server.request_stop();
  ::shutdown(connection->client.get(), SHUT_WR);
  server.join();
  if (!round_trips) {
    return round_trips;
  }
  if (server_error) {
    return *server_error;
  }
  if (round_trips->empty()) {
    return sdk::make_error(Errc::io, "no request was answered", where);
  }
  return round_trips;
}

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
