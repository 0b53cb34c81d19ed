// The client side of a berth-shim's attach socket (the frames are in
// monitor.hpp): what run, start -a, stop, kill, wait and exec -t use.
#pragma once

#include "container/monitor.hpp"
#include "util/fd.hpp"

#include <berth/sdk/result.hpp>

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>

namespace berth {

sdk::Result<void> send_frame(int fd, Frame type, const nlohmann::json &payload);
// The pty master a runtime hands over on its console socket.
sdk::Result<UniqueFd> receive_master(int listener);
// Reads an attach connection's frames until the exit frame; its exit code.
// on_frame sees every output frame on the way. cancelled, when given, is
// polled a few times a second: true ends the wait with Errc::cancelled.
sdk::Result<int> read_until_exit(int fd,
                                 const std::function<void(Frame, const std::string &)> &on_frame,
                                 int timeout_ms = -1, const std::function<bool()> &cancelled = {});

} // namespace berth
