// What the built-in traffic generator (traffic.cpp) and its iperf3
// cross-check (iperf3.cpp) share: the time limits of a run, Cancelled,
// sockets made in a network namespace, and the one-line "where" of their
// errors. Internal to core/bench.
#pragma once

#include "bench/traffic.hpp"

#include <berth/sdk/result.hpp>
#include <berth/sdk/unique_fd.hpp>

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace berth::bench {

using Clock = std::chrono::steady_clock;

inline constexpr std::chrono::seconds kConnectTimeout{3};
// How often a blocked call comes back to look at Cancelled: the API promises 100 ms.
inline constexpr std::chrono::milliseconds kCancelCheck{100};
// How long past `seconds` a run may take before it counts as stuck: draining
// socket buffers and a last reply take milliseconds, a broken path forever.
inline constexpr std::chrono::seconds kGrace{3};

inline bool is_cancelled(const Cancelled &cancelled) {
  return cancelled && cancelled();
}

inline sdk::Error cancelled_error(const std::string &where) {
  return sdk::make_error(sdk::Errc::cancelled, "cancelled", where);
}

inline Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// The port the client dials: connect_port, else the one the server listens on.
std::uint16_t dialled_port(const TrafficPath &path, std::uint16_t server_port);

// "10.201.0.3:5201 from netns /x": where the client dials, for its errors.
std::string client_side(const TrafficPath &path, std::uint16_t port);

// "0.0.0.0:5201 in netns /x": where the server listens, for its errors.
std::string server_side(const TrafficPath &path, std::uint16_t port);

// Errc::invalid_argument unless `seconds` is a positive duration.
sdk::Result<void> check_run(const TrafficPath &path, double seconds);

sdk::Result<sockaddr_in> ipv4_address(const std::string &address, std::uint16_t port,
                                      const std::string &where);

sdk::Result<sdk::UniqueFd> open_netns(const std::string &netns);

// Runs make in netns ("": ours) and returns the socket it made.
sdk::Result<sdk::UniqueFd> make_in_netns(const std::string &netns,
                                         const std::function<sdk::Result<sdk::UniqueFd>()> &make);

sdk::Result<sdk::UniqueFd> tcp_socket(const std::string &where);

struct Listener {
  sdk::UniqueFd fd;
  std::uint16_t port = 0; // as bound: a real port when listen_port was 0
};

// Binds listen_address:listen_port in the server's namespace, and listens
// unless only a free port number is wanted.
sdk::Result<Listener> bind_server(const TrafficPath &path, bool listen);

// poll() for events on fd, retried on EINTR: whether they came within timeout.
bool wait_for(int fd, short events, std::chrono::milliseconds timeout);

} // namespace berth::bench
