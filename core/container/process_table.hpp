// A container's processes as `top` shows them, read from /proc.
#pragma once

#include <string>
#include <vector>

namespace berth {

struct ProcessTable {
  std::vector<std::string> titles; // UID PID PPID STATE TIME CMD
  std::vector<std::vector<std::string>> rows;
};

// The rows of these host pids; a process gone meanwhile is left out.
ProcessTable process_table(const std::vector<int> &pids);

} // namespace berth
