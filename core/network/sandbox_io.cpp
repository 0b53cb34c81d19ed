#include "network/sandbox_io.hpp"

#include "util/in_root.hpp"

#include <berth/sdk/ipv4.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace berth {
namespace {

constexpr std::string_view kPeersMarker = "# berth: containers on the same networks\n";

std::string entry_line(const HostsEntry &entry) {
  std::string line = entry.address;
  for (const auto &name : entry.names) {
    line += (&name == &entry.names.front() ? "\t" : " ") + name;
  }
  return line + "\n";
}

std::string peers_text(const std::vector<HostsEntry> &peers) {
  std::string text(kPeersMarker);
  for (const auto &peer : peers) {
    text += entry_line(peer);
  }
  return text;
}

} // namespace

sdk::Result<void> create_netns(const std::filesystem::path &file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return sdk::errno_error("open", file.string());
  }
  ::close(fd);
  // On a thread of its own: unshare changes only the calling thread's
  // namespace, and this thread ends right after, so no code of ours ever
  // runs in the wrong namespace.
  sdk::Result<void> result;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) < 0) {
      result = sdk::errno_error("unshare(CLONE_NEWNET)", file.string());
      return;
    }
    if (::mount("/proc/thread-self/ns/net", file.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      result = sdk::errno_error("mount --bind netns", file.string());
    }
  }).join();
  if (!result.ok()) {
    ::unlink(file.c_str());
  }
  return result;
}

sdk::Result<void> remove_netns(const std::filesystem::path &file) {
  if (::umount2(file.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
    return sdk::errno_error("umount", file.string());
  }
  if (::unlink(file.c_str()) < 0 && errno != ENOENT) {
    return sdk::errno_error("unlink", file.string());
  }
  return {};
}

sdk::Result<BoundPort> bind_host_port(const PublishedPort &port) {
  const bool udp = port.protocol == "udp";
  const std::string where = (port.host_ip.empty() ? "0.0.0.0" : port.host_ip) + ":" +
                            std::to_string(port.host_port) + "/" + port.protocol;
  UniqueFd socket(::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!socket.valid()) {
    return sdk::errno_error("socket", where);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port.host_port);
  address.sin_addr.s_addr =
      htonl(port.host_ip.empty() ? INADDR_ANY
                                 : sdk::Ipv4::parse(port.host_ip).value_or(sdk::Ipv4{}).value);
  if (::bind(socket.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) < 0) {
    const int error = errno;
    if (error == EADDRINUSE) {
      return sdk::make_error(sdk::Errc::busy,
                             "host port " + where +
                                 " is already in use; publish on another host port (-p "
                                 "OTHER:" +
                                 std::to_string(port.container_port) + ")",
                             "--publish");
    }
    return sdk::errno_error("bind", where, error);
  }
  socklen_t length = sizeof address;
  ::getsockname(socket.get(), reinterpret_cast<sockaddr *>(&address), &length);
  BoundPort bound;
  bound.mapping = {port.host_ip, ntohs(address.sin_port), port.container_port, port.protocol};
  bound.socket = std::move(socket);
  return bound;
}

std::string hosts_text(const std::vector<HostsEntry> &own, const std::vector<std::string> &extra,
                       const std::vector<HostsEntry> &peers) {
  std::string text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto &entry : own) {
    text += entry_line(entry);
  }
  for (const auto &line : extra) {
    text += line + "\n";
  }
  return text + peers_text(peers);
}

sdk::Result<void> write_in_place(const std::filesystem::path &file, const std::string &text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return sdk::errno_error("open", file.string());
  }
  // Write first, then cut: a reader never sees an empty file.
  const auto written = ::pwrite(fd, text.data(), text.size(), 0);
  const int error = errno;
  const bool ok = written == static_cast<ssize_t>(text.size()) &&
                  ::ftruncate(fd, static_cast<off_t>(text.size())) == 0;
  ::close(fd);
  if (!ok) {
    return sdk::errno_error("write", file.string(), written < 0 ? error : EIO);
  }
  return {};
}

sdk::Result<void> rewrite_hosts_peers(const std::filesystem::path &file,
                                      const std::vector<HostsEntry> &peers) {
  const UniqueFd in(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!in.valid()) {
    return {}; // the container's directory is gone: nothing to update
  }
  // The container can write its /etc/hosts: read only a bounded part.
  auto text = read_whole_lines(in.get());
  const auto marker = text.find(kPeersMarker);
  text.resize(marker == std::string::npos ? text.size() : marker);
  return write_in_place(file, text + peers_text(peers));
}

} // namespace berth
