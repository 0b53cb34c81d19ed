// Clients and servers for the network tests, in this process: each socket
// is made in the network namespace it belongs to (the test's own, the
// outside world's, a container's) and then used from the test's thread.
#pragma once

#include "util/fd.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace berth::testing {

// What a client saw: the reply, or why there was none.
struct Exchange {
  bool ok = false;
  std::string reply;
  std::string error;
};

// A socket of type (SOCK_STREAM, SOCK_DGRAM) in the network namespace whose
// file is netns ("" for this thread's own). A socket stays in the namespace
// it was made in, so it can then be used from any thread.
UniqueFd socket_in(const std::string &netns, int type);
// Connects from netns to ip:port, sends request, half-closes and reads until
// the peer closes.
Exchange tcp_exchange(const std::string &netns, const std::string &ip, std::uint16_t port,
                      const std::string &request,
                      std::chrono::milliseconds limit = std::chrono::seconds(5));
// Whether a TCP connection from netns to ip:port is accepted within a second.
bool can_connect(const std::string &netns, const std::string &ip, std::uint16_t port);
Exchange http_get(const std::string &netns, const std::string &ip, std::uint16_t port);
// A TCP listener on ip:port inside netns.
UniqueFd tcp_listen(const std::string &netns, const std::string &ip, std::uint16_t port);
// Accepts one connection within limit: the peer's address, nullopt if none came.
std::optional<std::string> accept_peer(int listener, std::chrono::milliseconds limit);
// A UDP socket bound to 0.0.0.0:port inside netns.
UniqueFd udp_bind(const std::string &netns, std::uint16_t port);
// Sends payload from netns to ip:port; server answers what it receives with
// "echo:" + it. The client's reply (a few tries, UDP may drop).
Exchange udp_exchange(const std::string &netns, const std::string &ip, std::uint16_t port,
                      int server, const std::string &payload);

} // namespace berth::testing
