#pragma once

#include <string>
#include <vector>

namespace berth::berthd {

// `berthd engine [OPTIONS]`: the Docker Engine API on a unix socket, in the
// foreground until SIGINT or SIGTERM. Returns the exit code.
int run_engine_command(const std::vector<std::string> &args);

} // namespace berth::berthd
