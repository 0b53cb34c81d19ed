#include "bench/traffic.hpp"
#include "bench/traffic_support.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

namespace berth::bench {
namespace {

using sdk::Errc;
using sdk::UniqueFd;

constexpr std::size_t kSendBuffer = std::size_t{128} * 1024;
constexpr std::size_t kReceiveBuffer = std::size_t{256} * 1024;

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

// The client side of a run: step() again and again for `seconds`, until one
// fails. Cancelled is the caller's code: asked on a clock, not once per step.
template <class Step>
sdk::Result<void> run_for(double seconds, const Cancelled &cancelled, const std::string &where,
                          const Step &step) {
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
    if (auto stepped = step(); !stepped) {
      return stepped;
    }
  }
  return {};
}

// The client side of tcp_stream: writes as fast as the path takes it.
// reset tells whether it ended because the peer reset the connection.
sdk::Result<void> send_stream(int fd, double seconds, const Cancelled &cancelled,
                              const std::string &where, bool &reset) {
  const std::vector<char> buffer(kSendBuffer, 'b');
  return run_for(seconds, cancelled, where, [&]() -> sdk::Result<void> {
    if (::send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL) < 0 && !timed_out(errno)) {
      reset = errno == ECONNRESET;
      return sdk::errno_error("send", where);
    }
    return {};
  });
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

// After a send or recv on a socket with a receive/send timeout: nullopt to
// try again, or why not (a real error, Ctrl-C, or give_up passed).
std::optional<sdk::Error> retry_or_why_not(const char *call, const char *too_late,
                                           const Cancelled &cancelled, Clock::time_point give_up,
                                           const std::string &where) {
  if (!timed_out(errno)) {
    return sdk::errno_error(call, where);
  }
  if (is_cancelled(cancelled)) {
    return cancelled_error(where);
  }
  if (Clock::now() >= give_up) {
    return sdk::make_error(Errc::io, too_late, where);
  }
  return std::nullopt;
}

// One request/response from the client: the round trip in microseconds.
sdk::Result<double> round_trip(int fd, const Cancelled &cancelled, const std::string &where) {
  const auto start = Clock::now();
  const auto give_up = start + kConnectTimeout;
  char byte = 'r';
  while (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) {
    if (auto stop = retry_or_why_not("send", "the request could not be sent within 3 s", cancelled,
                                     give_up, where)) {
      return std::move(*stop);
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
    if (auto stop = retry_or_why_not("recv", "no reply within 3 s", cancelled, give_up, where)) {
      return std::move(*stop);
    }
  }
}

sdk::Result<std::vector<double>>
time_round_trips(int fd, double seconds, const Cancelled &cancelled, const std::string &where) {
  std::vector<double> out;
  auto ran = run_for(seconds, cancelled, where, [&]() -> sdk::Result<void> {
    auto rtt = round_trip(fd, cancelled, where);
    if (!rtt) {
      return std::move(rtt).error();
    }
    out.push_back(*rtt);
    return {};
  });
  if (!ran) {
    return std::move(ran).error();
  }
  return out;
}

// One connection's stream; reset as for send_stream.
sdk::Result<double> stream_once(const TrafficPath &path, double seconds, const Cancelled &cancelled,
                                bool &reset) {
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
  auto sent = send_stream(connection->client.get(), seconds, cancelled, where, reset);
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
} // namespace

sdk::Result<double> tcp_stream(const TrafficPath &path, double seconds,
                               const Cancelled &cancelled) {
  if (auto valid = check_run(path, seconds); !valid) {
    return valid.error();
  }
  // CI once saw a fresh bridged connection reset by its peer mid-stream on a
  // loaded host, with nothing on either side closing it. One new connection
  // is tried before the reset is reported, so a loaded host is not taken
  // for a broken driver; a second reset is.
  bool reset = false;
  auto rate = stream_once(path, seconds, cancelled, reset);
  if (!rate && reset) {
    reset = false;
    rate = stream_once(path, seconds, cancelled, reset);
  }
  return rate;
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

} // namespace berth::bench
