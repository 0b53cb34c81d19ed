#include "container/process_table.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace berth {
namespace {

std::string read_small(const std::string &file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "1000" from /proc/PID/status's "Uid:\t1000\t1000\t1000\t1000".
std::string real_uid(const std::string &proc) {
  std::string uid = "?";
  std::stringstream status(read_small(proc + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Uid:")) {
      std::stringstream(line.substr(4)) >> uid;
    }
  }
  return uid;
}

std::string cpu_time(unsigned long long ticks_used) {
  const auto ticks = static_cast<unsigned long long>(::sysconf(_SC_CLK_TCK));
  const auto seconds = ticks_used / (ticks == 0 ? 100 : ticks);
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%02llu:%02llu:%02llu", seconds / 3600,
                (seconds / 60) % 60, seconds % 60);
  return text.data();
}

std::vector<std::string> process_row(int pid) {
  const auto proc = "/proc/" + std::to_string(pid);
  const auto stat = read_small(proc + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return {};
  }
  // Fields after the command: state, ppid, ... utime and stime are 14th and 15th.
  std::stringstream fields(stat.substr(close + 2));
  std::string state;
  std::string ppid;
  fields >> state >> ppid;
  std::string skip;
  for (int field = 6; field < 14; ++field) {
    fields >> skip;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  fields >> utime >> stime;
  auto cmdline = read_small(proc + "/cmdline");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  while (!cmdline.empty() && cmdline.back() == ' ') {
    cmdline.pop_back();
  }
  return {real_uid(proc), std::to_string(pid), ppid, state, cpu_time(utime + stime), cmdline};
}

} // namespace

ProcessTable process_table(const std::vector<int> &pids) {
  ProcessTable table{{"UID", "PID", "PPID", "STATE", "TIME", "CMD"}, {}};
  for (const int pid : pids) {
    if (auto row = process_row(pid); !row.empty()) {
      table.rows.push_back(std::move(row));
    }
  }
  return table;
}

} // namespace berth
