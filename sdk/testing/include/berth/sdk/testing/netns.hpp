// Network-namespace plumbing for tests: named namespaces as `ip netns add`
// makes them, running code inside one, what the kernel has there (links,
// addresses, routes) and small TCP helpers. The network kit uses them, and a
// driver's own tests may too.
//
// A network namespace belongs to a thread, not to a process, so code "inside
// a namespace" runs on a fresh thread that joined it with setns(); the
// caller's thread never moves. A socket keeps the namespace it was created
// in, so a socket made by in_netns() can be used from any thread afterwards.
#pragma once

#include <berth/sdk/unique_fd.hpp>

#include <berth/sdk/ipv4.hpp>
#include <berth/sdk/result.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace berth::sdk::testing::netns {

using Fd = UniqueFd;

// Runs body (returning a Result) on a new thread that first joins the
// network namespace bound at path, and returns what body returned.
template <class Body> auto in_netns(const std::filesystem::path &path, Body &&body) {
  using Out = decltype(body());
  std::optional<Out> out;
  std::thread worker([&] {
    try {
      const Fd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (ns.get() < 0) {
        out.emplace(errno_error("open", path.string()));
      } else if (::setns(ns.get(), CLONE_NEWNET) != 0) {
        out.emplace(errno_error("setns(CLONE_NEWNET)", path.string()));
      } else {
        out.emplace(body());
      }
    } catch (const std::exception &e) {
      out.emplace(make_error(Errc::internal, e.what(), path.string()));
    } catch (...) {
      out.emplace(make_error(Errc::internal, "unknown exception", path.string()));
    }
  });
  worker.join();
  return std::move(*out);
}

// A new network namespace, bind-mounted on file (created here) so that it
// outlives the thread that made it. Mount it in a private mount namespace:
// the bind mount is what keeps the namespace alive.
inline Result<void> create(const std::filesystem::path &file) {
  {
    const Fd placeholder(::open(file.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (placeholder.get() < 0) {
      return errno_error("create", file.string());
    }
  }
  Result<void> made;
  std::thread maker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      made = errno_error("unshare(CLONE_NEWNET)", file.string());
    } else if (::mount("/proc/thread-self/ns/net", file.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      made = errno_error("bind-mount /proc/thread-self/ns/net", file.string());
    }
  });
  maker.join();
  if (!made.ok()) {
    ::unlink(file.c_str());
  }
  return made;
}

// Undoes create(): the namespace goes once nothing else holds it (the
// kernel tears it down in the background). Nothing to do when file is gone.
inline void remove(const std::filesystem::path &file) noexcept {
  ::umount2(file.c_str(), MNT_DETACH);
  ::unlink(file.c_str());
}

// Sets lo up in the calling thread's namespace (a new one starts with it
// down).
inline Result<void> loopback_up() {
  const Fd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) {
    return errno_error("socket", "lo");
  }
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(socket.get(), SIOCGIFFLAGS, &request) != 0) {
    return errno_error("ioctl(SIOCGIFFLAGS)", "lo");
  }
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(socket.get(), SIOCSIFFLAGS, &request) != 0) {
    return errno_error("ioctl(SIOCSIFFLAGS)", "lo");
  }
  return {};
}

// One network interface as the kernel has it.
struct Link {
  std::string name;
  bool up = false;                 // IFF_UP: set administratively up
  std::string mac;                 // lower-case "aa:bb:..."; "" when it has none
  std::set<std::string> addresses; // IPv4, CIDR notation

  friend bool operator==(const Link &, const Link &) = default;
  friend void PrintTo( // NOLINT(readability-identifier-naming): gtest's name
      const Link &link, std::ostream *out) {
    *out << link.name << (link.up ? " up" : " down");
    if (!link.mac.empty()) {
      *out << " " << link.mac;
    }
    for (const auto &address : link.addresses) {
      *out << " " << address;
    }
  }
};

inline std::string format_mac(const unsigned char *bytes, std::size_t length) {
  std::string mac;
  for (std::size_t i = 0; i < length; ++i) {
    std::array<char, 4> octet{};
    std::snprintf(octet.data(), octet.size(), i == 0 ? "%02x" : ":%02x", bytes[i]);
    mac += octet.data();
  }
  return mac;
}

// Every interface of the calling thread's namespace, by name.
inline Result<std::map<std::string, Link>> links() {
  ifaddrs *list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return errno_error("getifaddrs", "links");
  }
  std::map<std::string, Link> out;
  for (auto *item = list; item != nullptr; item = item->ifa_next) {
    // IPv4 addresses carry their label ("eth0:1"); the link is before the ':'.
    std::string name = item->ifa_name;
    name = name.substr(0, name.find(':'));
    Link &link = out[name];
    link.name = name;
    link.up = link.up || (item->ifa_flags & IFF_UP) != 0;
    if (item->ifa_addr == nullptr) {
      continue;
    }
    if (item->ifa_addr->sa_family == AF_PACKET) {
      const auto *hardware = reinterpret_cast<const sockaddr_ll *>(item->ifa_addr);
      const bool zero = std::all_of(hardware->sll_addr, hardware->sll_addr + hardware->sll_halen,
                                    [](unsigned char byte) { return byte == 0; });
      link.mac = zero ? "" : format_mac(hardware->sll_addr, hardware->sll_halen);
    } else if (item->ifa_addr->sa_family == AF_INET && item->ifa_netmask != nullptr) {
      const Ipv4 address{ntohl(reinterpret_cast<sockaddr_in *>(item->ifa_addr)->sin_addr.s_addr)};
      const auto mask = ntohl(reinterpret_cast<sockaddr_in *>(item->ifa_netmask)->sin_addr.s_addr);
      link.addresses.insert(address.str() + "/" + std::to_string(__builtin_popcount(mask)));
    }
  }
  ::freeifaddrs(list);
  return out;
}

inline std::set<std::string> names(const std::map<std::string, Link> &links) {
  std::set<std::string> out;
  for (const auto &[name, link] : links) {
    out.insert(name);
  }
  return out;
}

// One IPv4 route of the main table.
struct Route {
  std::string device;
  std::string destination; // CIDR: "0.0.0.0/0" for the default route
  std::string gateway;     // "" for on-link

  friend bool operator==(const Route &, const Route &) = default;
  friend void PrintTo( // NOLINT(readability-identifier-naming): gtest's name
      const Route &route, std::ostream *out) {
    *out << route.destination << (route.gateway.empty() ? "" : " via " + route.gateway) << " dev "
         << route.device;
  }
};

// The calling thread's namespace's IPv4 routes, from
// /proc/thread-self/net/route (/proc/self/net shows the main thread's).
inline Result<std::vector<Route>> routes() {
  std::ifstream table("/proc/thread-self/net/route");
  if (!table) {
    return errno_error("open", "/proc/thread-self/net/route");
  }
  std::vector<Route> out;
  std::string line;
  std::getline(table, line); // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string device, destination, gateway, flags, refs, use, metric, mask;
    if (!(fields >> device >> destination >> gateway >> flags >> refs >> use >> metric >> mask)) {
      continue;
    }
    // Each a __be32 the kernel printed as a native-endian number.
    auto address = [](const std::string &hex) {
      return Ipv4{ntohl(static_cast<std::uint32_t>(std::stoul(hex, nullptr, 16)))};
    };
    const auto prefix = __builtin_popcount(address(mask).value);
    const Ipv4 via = address(gateway);
    out.push_back({device, address(destination).str() + "/" + std::to_string(prefix),
                   via.value == 0 ? "" : via.str()});
  }
  return out;
}

inline Result<Fd> tcp_socket() {
  Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) {
    return errno_error("socket(AF_INET, SOCK_STREAM)", "tcp");
  }
  return socket;
}

inline sockaddr_in ipv4_socket_address(Ipv4 address, std::uint16_t port) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  out.sin_addr.s_addr = htonl(address.value);
  return out;
}

// A TCP socket bound to 0.0.0.0:port (0: any free port), listening when
// listen is true. Bound but not listening is how berth holds a published
// host port: nobody else can take it, and nothing answers on it.
inline Result<Fd> tcp_bound(std::uint16_t port, bool listen) {
  auto socket = tcp_socket();
  if (!socket.ok()) {
    return socket;
  }
  const int on = 1;
  ::setsockopt(socket->get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const auto address = ipv4_socket_address(Ipv4{0}, port);
  const auto where = "0.0.0.0:" + std::to_string(port);
  if (::bind(socket->get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) {
    return errno_error("bind", where);
  }
  if (listen && ::listen(socket->get(), 16) != 0) {
    return errno_error("listen", where);
  }
  return socket;
}

inline Result<std::uint16_t> local_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
    return errno_error("getsockname", "tcp");
  }
  return ntohs(address.sin_port);
}

inline bool ready_within(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd wanted{fd, events, 0};
  int rc = 0;
  do {
    rc = ::poll(&wanted, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

// Connects fd to address:port, waiting at most timeout (unavailable then).
inline Result<void> connect_within(int fd, const std::string &address, std::uint16_t port,
                                   std::chrono::milliseconds timeout) {
  const auto where = address + ":" + std::to_string(port);
  const auto ip = Ipv4::parse(address);
  if (!ip) {
    return make_error(Errc::invalid_argument, "not an IPv4 address", where);
  }
  const auto target = ipv4_socket_address(*ip, port);
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(fd, reinterpret_cast<const sockaddr *>(&target), sizeof target);
  int error = rc == 0 ? 0 : errno;
  if (rc != 0 && error == EINPROGRESS) {
    if (!ready_within(fd, POLLOUT, timeout)) {
      ::fcntl(fd, F_SETFL, flags);
      return make_error(Errc::unavailable,
                        "connect: no answer within " + std::to_string(timeout.count()) + " ms",
                        where);
    }
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  }
  ::fcntl(fd, F_SETFL, flags);
  if (error != 0) {
    return errno_error("connect", where, error);
  }
  return {};
}

inline Result<Fd> accept_within(int listener, std::chrono::milliseconds timeout) {
  if (!ready_within(listener, POLLIN, timeout)) {
    return make_error(Errc::unavailable,
                      "accept: nothing connected within " + std::to_string(timeout.count()) + " ms",
                      "listener");
  }
  Fd connection(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (connection.get() < 0) {
    return errno_error("accept4", "listener");
  }
  return connection;
}

// Sends a few bytes over from and checks that they arrive at to: the two
// ends really are one connection.
inline Result<void> exchange(int from, int to, std::chrono::milliseconds timeout) {
  static constexpr std::string_view kHello = "berth-network-kit";
  if (::send(from, kHello.data(), kHello.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(kHello.size())) {
    return errno_error("send", "tcp");
  }
  std::string got;
  std::array<char, 64> buffer{};
  while (got.size() < kHello.size() && ready_within(to, POLLIN, timeout)) {
    const ssize_t n = ::recv(to, buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      break;
    }
    got.append(buffer.data(), static_cast<std::size_t>(n));
  }
  if (got != kHello) {
    return make_error(Errc::io, "sent '" + std::string(kHello) + "', received '" + got + "'",
                      "tcp");
  }
  return {};
}

} // namespace berth::sdk::testing::netns
