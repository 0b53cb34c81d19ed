#include "container/attach_client.hpp"

#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace berth {

using nlohmann::json;

sdk::Result<void> send_frame(int fd, Frame type, const json &payload) {
  if (!write_all(fd, encode_frame(type, payload.dump()))) {
    return sdk::errno_error("write", "attach socket");
  }
  return {};
}

sdk::Result<UniqueFd> receive_master(int listener) {
  UniqueFd connection(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (connection.get() < 0) {
    return sdk::errno_error("accept", "console socket");
  }
  return receive_fd(connection.get());
}

sdk::Result<int> read_until_exit(int fd,
                                 const std::function<void(Frame, const std::string &)> &on_frame,
                                 int timeout_ms, const std::function<bool()> &cancelled) {
  constexpr int kCancelCheckMs = 250;
  FrameReader reader;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int wait = -1;
    if (timeout_ms >= 0) {
      wait =
          static_cast<int>(std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 deadline - std::chrono::steady_clock::now())
                                                 .count()));
    }
    if (cancelled && (wait < 0 || wait > kCancelCheckMs)) {
      wait = kCancelCheckMs;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0 && cancelled) {
      if (cancelled()) {
        return sdk::make_error(sdk::Errc::cancelled, "the wait was cancelled");
      }
      if (timeout_ms < 0 || std::chrono::steady_clock::now() < deadline) {
        continue;
      }
    }
    if (ready == 0) {
      return sdk::make_error(sdk::Errc::busy, "timed out waiting for the container to stop");
    }
    char buffer[65536];
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return sdk::make_error(sdk::Errc::io, "the monitor closed the connection without an exit");
    }
    reader.feed(buffer, static_cast<std::size_t>(n));
    while (auto frame = reader.next()) {
      if (frame->first == Frame::exit) {
        const auto exit = json::parse(frame->second, nullptr, false);
        return exit.is_object() ? exit.value("exitCode", 0) : 0;
      }
      if (on_frame) {
        on_frame(frame->first, frame->second);
      }
    }
  }
}

} // namespace berth
