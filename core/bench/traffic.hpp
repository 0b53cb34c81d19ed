// The traffic generator behind `berth bench network`: TCP throughput and
// request/response latency between two network namespaces, built in so that
// the benchmark needs no external tool, and the same transfer through iperf3
// (when installed) as a cross-check of the built-in figure.
//
// Every call is bounded: connecting waits at most 3 s and a run ends within
// a few seconds of `seconds`, whatever the path does. A run stopped by
// Cancelled returns Errc::cancelled. Errors are one line naming the address
// and namespace ("127.0.0.1:5201 from netns /run/x: connect: Connection refused").
#pragma once

#include <berth/sdk/result.hpp>
#include <berth/sdk/unique_fd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace berth::bench {

// Where the two ends of a TCP path live. A namespace is a network-namespace
// file (/proc/PID/ns/net, or a bind-mounted one like ROOT/netns/ID); "" means
// the calling thread's own namespace.
struct TrafficPath {
  std::string server_netns;
  std::string listen_address = "0.0.0.0";
  std::uint16_t listen_port = 0; // 0: any free port (then connect_port 0 means the same)
  std::string client_netns;
  std::string connect_address;    // what the client dials (a published port: 127.0.0.1)
  std::uint16_t connect_port = 0; // 0: the port the server got
};

// Stops a run early (Ctrl-C): checked at least every 100 ms.
using Cancelled = std::function<bool()>;

// Bulk TCP transfer client -> server for `seconds`: Gbit/s received by the server.
sdk::Result<double> tcp_stream(const TrafficPath &path, double seconds, const Cancelled &cancelled);

// One-byte request/response over one TCP_NODELAY connection for `seconds`:
// the round-trip time of every exchange, in microseconds.
sdk::Result<std::vector<double>> tcp_round_trips(const TrafficPath &path, double seconds,
                                                 const Cancelled &cancelled);

// The same transfer as tcp_stream measured by iperf3 (server and client each
// started inside their namespace), for a cross-check. Errc::unavailable when
// iperf3 is not installed. iperf3 counts whole seconds, so `seconds` is
// rounded up to at least 1.
sdk::Result<double> iperf3_stream(const TrafficPath &path, double seconds,
                                  const Cancelled &cancelled);

} // namespace berth::bench
