// Between a container's monitor (berth's attach frames) and a hijacked Docker
// client connection (Docker's raw or multiplexed stream).
#pragma once

#include "http/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace berth::berthd {

struct RelayOptions {
  bool tty = false; // raw bytes; otherwise Docker's 8-byte frame headers
  bool send_stdin = false;
  bool show_stdout = true;
  bool show_stderr = true;
};

// Docker's multiplexed frame: stream (1 stdout, 2 stderr), three zero
// bytes, the payload's length (big-endian), the payload.
std::string docker_frame(int stream, std::string_view payload);

// Relays until the program exits, either side hangs up or the server stops;
// the program's exit code when its exit frame came.
std::optional<int> relay_attach(int monitor, http::RawConnection &client,
                                const RelayOptions &options);

} // namespace berth::berthd
