// `berthd server`: flags in, a running cluster API server out.
#pragma once

#include <string>
#include <vector>

namespace berth::berthd {

// args are the words after "server". Returns the process exit code.
int run_server_command(const std::vector<std::string> &args);

} // namespace berth::berthd
