#include "common/host_fds.hpp"

#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

namespace berth::runtime {

bool seal_from_host(std::vector<int> keep) {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return false;
  }
  // 0-2 stay: set-up replaces them with dup2, and a /dev/null opened while
  // they were closed would land on one of them with O_CLOEXEC.
  keep.insert(keep.end(), {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO});
  std::sort(keep.begin(), keep.end());
  unsigned first = 0;
  for (const int fd : keep) {
    if (fd < 0) {
      continue;
    }
    if (static_cast<unsigned>(fd) > first &&
        ::syscall(SYS_close_range, first, static_cast<unsigned>(fd) - 1, 0U) != 0) {
      return false;
    }
    first = static_cast<unsigned>(fd) + 1;
  }
  return ::syscall(SYS_close_range, first, UINT_MAX, 0U) == 0;
}

} // namespace berth::runtime
