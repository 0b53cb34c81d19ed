#include "docker/attach_relay.hpp"

#include "container/monitor.hpp"

#include <nlohmann/json.hpp>

#include <poll.h>
#include <unistd.h>

#include <array>

namespace berth::berthd {
namespace {

constexpr int kStopCheckMs = 250;

// Writes the monitor's output frames to the client; false at the exit frame
// (its code in exit_code) or when the client is gone.
bool forward_output(FrameReader &reader, int client, const RelayOptions &options,
                    std::optional<int> &exit_code) {
  while (auto frame = reader.next()) {
    const auto [type, payload] = std::move(*frame);
    if (type == Frame::exit) {
      const auto exit = nlohmann::json::parse(payload, nullptr, false);
      exit_code = exit.is_object() ? exit.value("exitCode", 0) : 0;
      return false;
    }
    const bool is_stderr = type == Frame::stderr_data;
    if ((is_stderr && !options.show_stderr) || (!is_stderr && !options.show_stdout)) {
      continue;
    }
    const auto bytes = options.tty ? payload : docker_frame(is_stderr ? 2 : 1, payload);
    if (!write_all(client, bytes)) {
      return false;
    }
  }
  return true;
}

// Sends what the client typed as stdin frames; at its end of input, closes
// the program's stdin. False once the client stops sending.
bool forward_input(int monitor, int client) {
  std::array<char, 65536> buffer{};
  const auto n = ::read(client, buffer.data(), buffer.size());
  if (n > 0) {
    return write_all(
        monitor,
        encode_frame(Frame::stdin_data, std::string(buffer.data(), static_cast<std::size_t>(n))));
  }
  (void)write_all(monitor, encode_frame(Frame::stdin_close, ""));
  return false;
}

} // namespace

std::string docker_frame(int stream, std::string_view payload) {
  const auto size = static_cast<std::uint32_t>(payload.size());
  std::string frame{static_cast<char>(stream),
                    0,
                    0,
                    0,
                    static_cast<char>((size >> 24U) & 0xffU),
                    static_cast<char>((size >> 16U) & 0xffU),
                    static_cast<char>((size >> 8U) & 0xffU),
                    static_cast<char>(size & 0xffU)};
  frame.append(payload);
  return frame;
}

std::optional<int> relay_attach(int monitor, http::RawConnection &client,
                                const RelayOptions &options) {
  bool reading_client = options.send_stdin;
  if (const auto early = client.take_buffered(); reading_client && !early.empty()) {
    (void)write_all(monitor, encode_frame(Frame::stdin_data, early));
  }
  FrameReader reader;
  std::optional<int> exit_code;
  while (!client.stopping()) {
    std::array<pollfd, 2> fds{{{monitor, POLLIN, 0}, {client.fd(), POLLIN, 0}}};
    // Not reading the client still watches it: POLLHUP says it left.
    fds[1].events = reading_client ? POLLIN : 0;
    if (::poll(fds.data(), fds.size(), kStopCheckMs) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return exit_code;
    }
    if ((fds[1].revents & (POLLHUP | POLLERR)) != 0 && (fds[1].revents & POLLIN) == 0) {
      return exit_code;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      reading_client = forward_input(monitor, client.fd());
    }
    if (fds[0].revents != 0) {
      std::array<char, 65536> buffer{};
      const auto n = ::read(monitor, buffer.data(), buffer.size());
      if (n <= 0) {
        return exit_code;
      }
      reader.feed(buffer.data(), static_cast<std::size_t>(n));
      if (!forward_output(reader, client.fd(), options, exit_code)) {
        return exit_code;
      }
    }
  }
  return exit_code;
}

} // namespace berth::berthd
