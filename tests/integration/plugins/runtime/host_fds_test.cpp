// What `berth exec` drops before its child joins a container: container
// root must find neither a dumpable copy of berth (its /proc/PID/exe is the
// host binary) nor an fd on a host file in /proc/PID/fd.
#include "common/host_fds.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace berth::testing {
namespace {

// The exit status of a child that ran body, 0 when every check held.
int in_child(const std::function<int()> &body) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(SealFromHost, LeavesOnlyTheKeptFdsAndANonDumpableProcess) {
  TempDir dir;
  const auto secret = dir.write("berth.db", "every container's environment\n");
  EXPECT_EQ(in_child([&] {
              const int host_file = ::open(secret.c_str(), O_RDONLY); // not O_CLOEXEC
              const int kept = ::open("/dev/null", O_RDONLY);
              const int above = ::fcntl(host_file, F_DUPFD, 200);
              if (host_file < 0 || kept < 0 || above < 0)
                return 1;
              if (!runtime::seal_from_host({kept, STDERR_FILENO}))
                return 2;
              if (::prctl(PR_GET_DUMPABLE) != 0)
                return 3;
              if (::fcntl(host_file, F_GETFD) != -1 || ::fcntl(above, F_GETFD) != -1)
                return 4;
              if (::fcntl(kept, F_GETFD) == -1 || ::fcntl(STDERR_FILENO, F_GETFD) == -1)
                return 5;
              return 0;
            }),
            0);
}

} // namespace
} // namespace berth::testing
