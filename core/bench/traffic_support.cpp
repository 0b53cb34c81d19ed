#include "bench/traffic_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <optional>
#include <thread>
#include <utility>

namespace berth::bench {
namespace {

using sdk::Errc;
using sdk::UniqueFd;

std::uint16_t local_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
  return ntohs(address.sin_port);
}

} // namespace

std::uint16_t dialled_port(const TrafficPath &path, std::uint16_t server_port) {
  if (path.connect_port != 0) {
    return path.connect_port;
  }
  return path.listen_port != 0 ? path.listen_port : server_port;
}

std::string client_side(const TrafficPath &path, std::uint16_t port) {
  auto where = path.connect_address + ":" + std::to_string(port);
  return path.client_netns.empty() ? where : where + " from netns " + path.client_netns;
}

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

sdk::Result<UniqueFd> open_netns(const std::string &netns) {
  UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) {
    return sdk::errno_error("open network namespace", netns);
  }
  return ns;
}

// A socket stays in the namespace it was created in, and setns moves only
// the calling thread: a short-lived thread joins netns, makes the socket and
// ends, so none of our other code ever runs in the wrong namespace.
sdk::Result<UniqueFd> make_in_netns(const std::string &netns,
                                    const std::function<sdk::Result<UniqueFd>()> &make) {
  if (netns.empty()) {
    return make();
  }
  std::optional<sdk::Result<UniqueFd>> made;
  std::thread([&] {
    auto ns = open_netns(netns);
    if (!ns) {
      made.emplace(std::move(ns).error());
    } else if (::setns(ns->get(), CLONE_NEWNET) != 0) {
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

} // namespace berth::bench
