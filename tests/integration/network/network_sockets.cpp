#include "network_sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

namespace berth::testing {

using namespace std::chrono_literals;

namespace {

sockaddr_in socket_address(const std::string &ip, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  return address;
}

bool wait_readable(int fd, std::chrono::milliseconds limit) {
  pollfd ready{fd, POLLIN, 0};
  return ::poll(&ready, 1, static_cast<int>(limit.count())) == 1;
}

std::string errno_text(const std::string &what) {
  return what + ": " + std::strerror(errno);
}

// A non-blocking connect bounded by limit; "" on success, else why not.
std::string connect_within(int fd, const sockaddr_in &address, std::chrono::milliseconds limit) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    return errno_text("connect");
  }
  pollfd ready{fd, POLLOUT, 0};
  if (::poll(&ready, 1, static_cast<int>(limit.count())) != 1) {
    return "connect: no answer within " + std::to_string(limit.count()) + " ms";
  }
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  ::fcntl(fd, F_SETFL, flags);
  return error == 0 ? "" : std::string("connect: ") + std::strerror(error);
}

} // namespace

UniqueFd socket_in(const std::string &netns, int type) {
  if (netns.empty()) {
    return UniqueFd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  }
  // setns changes only the calling thread: a short-lived one enters the
  // namespace, and the socket it makes stays there.
  int fd = -1;
  std::thread([&] {
    UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (ns.get() >= 0 && ::setns(ns.get(), CLONE_NEWNET) == 0) {
      fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    }
  }).join();
  return UniqueFd(fd);
}

Exchange tcp_exchange(const std::string &netns, const std::string &ip, std::uint16_t port,
                      const std::string &request, std::chrono::milliseconds limit) {
  Exchange result;
  auto fd = socket_in(netns, SOCK_STREAM);
  if (fd.get() < 0) {
    result.error = "no socket in " + netns;
    return result;
  }
  result.error = connect_within(fd.get(), socket_address(ip, port), limit);
  if (!result.error.empty()) {
    return result;
  }
  if (!request.empty() && ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    result.error = errno_text("send");
    return result;
  }
  ::shutdown(fd.get(), SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_readable(fd.get(), left)) {
      result.error = "no end of reply within " + std::to_string(limit.count()) + " ms";
      return result;
    }
    const auto n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n <= 0) {
      break;
    }
    result.reply.append(buffer, static_cast<std::size_t>(n));
  }
  result.ok = true;
  return result;
}

bool can_connect(const std::string &netns, const std::string &ip, std::uint16_t port) {
  auto fd = socket_in(netns, SOCK_STREAM);
  return fd.get() >= 0 && connect_within(fd.get(), socket_address(ip, port), 1s).empty();
}

Exchange http_get(const std::string &netns, const std::string &ip, std::uint16_t port) {
  return tcp_exchange(netns, ip, port, "GET / HTTP/1.0\r\n\r\n");
}

UniqueFd tcp_listen(const std::string &netns, const std::string &ip, std::uint16_t port) {
  auto fd = socket_in(netns, SOCK_STREAM);
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const auto address = socket_address(ip, port);
  const bool ok =
      ::bind(fd.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0 &&
      ::listen(fd.get(), 16) == 0;
  EXPECT_TRUE(ok) << errno_text("listen on " + ip + ":" + std::to_string(port));
  return fd;
}

std::optional<std::string> accept_peer(int listener, std::chrono::milliseconds limit) {
  if (!wait_readable(listener, limit)) {
    return std::nullopt;
  }
  sockaddr_in peer{};
  socklen_t length = sizeof peer;
  UniqueFd connection(
      ::accept4(listener, reinterpret_cast<sockaddr *>(&peer), &length, SOCK_CLOEXEC));
  if (connection.get() < 0) {
    return std::nullopt;
  }
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
  return std::string(text);
}

UniqueFd udp_bind(const std::string &netns, std::uint16_t port) {
  auto fd = socket_in(netns, SOCK_DGRAM);
  const auto address = socket_address("0.0.0.0", port);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address), 0)
      << errno_text("bind udp " + std::to_string(port) + " in " + netns);
  return fd;
}

Exchange udp_exchange(const std::string &netns, const std::string &ip, std::uint16_t port,
                      int server, const std::string &payload) {
  Exchange result;
  auto client = socket_in(netns, SOCK_DGRAM);
  const auto target = socket_address(ip, port);
  result.error = "the server never received the datagram";
  for (int attempt = 0; attempt < 3 && !result.ok; ++attempt) {
    ::sendto(client.get(), payload.data(), payload.size(), 0,
             reinterpret_cast<const sockaddr *>(&target), sizeof target);
    if (!wait_readable(server, 1s)) {
      continue;
    }
    char buffer[512];
    sockaddr_in from{};
    socklen_t length = sizeof from;
    const auto n =
        ::recvfrom(server, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr *>(&from), &length);
    const auto echo = "echo:" + std::string(buffer, static_cast<std::size_t>(std::max<long>(n, 0)));
    ::sendto(server, echo.data(), echo.size(), 0, reinterpret_cast<const sockaddr *>(&from),
             length);
    result.error = "the server answered, the client never got it";
    if (wait_readable(client.get(), 1s)) {
      const auto got = ::recv(client.get(), buffer, sizeof buffer, 0);
      result.reply.assign(buffer, static_cast<std::size_t>(std::max<long>(got, 0)));
      result.ok = got > 0;
    }
  }
  return result;
}

} // namespace berth::testing
