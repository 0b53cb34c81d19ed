// What a process inside a container sees of the machine: its own PID
// namespace, host name and mounts, read-only kernel settings, Docker's
// default capabilities and seccomp profile.
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace berth::testing {
namespace {

class ContainerIsolation : public ContainerTest {};

TEST_F(ContainerIsolation, TheCommandIsPidOne) {
  const auto done = berth({"run", "--rm", kImage, "sh", "-c", "echo $$"});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "1\n");
  EXPECT_EQ(done.err, "");
}

TEST_F(ContainerIsolation, TheHostNameIsTheShortIdUnlessOneIsGiven) {
  const auto done = berth({"run", "--name", "named", kImage, "hostname"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto id = inspect("named").value("Id", "");
  track(id);
  ASSERT_EQ(id.size(), 64U);
  EXPECT_EQ(done.out, id.substr(0, 12) + "\n");

  const auto given = berth({"run", "--rm", "--hostname", "x", kImage, "hostname"});
  EXPECT_EQ(given.exit_code, 0) << given.err;
  EXPECT_EQ(given.out, "x\n");
}

// Only what the engine mounts for the container: its root, /proc, /dev,
// /sys and the three files it writes under /etc. Nothing of the host's
// (not /work, /tmp or /mnt, where this test and its tree live).
TEST_F(ContainerIsolation, NoneOfTheHostsMountsAreVisible) {
  const auto done = berth({"run", "--rm", kImage, "cat", "/proc/mounts"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto mounts = lines(done.out);
  ASSERT_FALSE(mounts.empty());
  bool saw_root = false;
  for (const auto &line : mounts) {
    std::istringstream fields(line);
    std::string source, target;
    fields >> source >> target;
    saw_root = saw_root || target == "/";
    const bool engine_made = target == "/" || target == "/proc" || target.starts_with("/proc/") ||
                             target == "/dev" || target.starts_with("/dev/") || target == "/sys" ||
                             target.starts_with("/sys/") || target == "/etc/resolv.conf" ||
                             target == "/etc/hostname" || target == "/etc/hosts";
    EXPECT_TRUE(engine_made) << "a mount the engine did not make: " << line;
    EXPECT_FALSE(target.starts_with("/work") || target.starts_with("/tmp") ||
                 target.starts_with("/mnt"))
        << line;
  }
  EXPECT_TRUE(saw_root) << done.out;
}

TEST_F(ContainerIsolation, KernelSettingsCannotBeWritten) {
  const auto done =
      berth({"run", "--rm", kImage, "sh", "-c", "echo changed > /proc/sys/kernel/domainname"});
  EXPECT_NE(done.exit_code, 0) << done.out << done.err;
  EXPECT_NE(done.err.find("Read-only file system"), std::string::npos) << done.err;
}

TEST_F(ContainerIsolation, AReadOnlyRootStillHasAWritableShm) {
  const auto root = berth({"run", "--rm", "--read-only", kImage, "touch", "/x"});
  EXPECT_NE(root.exit_code, 0) << "touch /x succeeded on a read-only root";
  EXPECT_EQ(root.err, "touch: /x: Read-only file system\n");

  const auto shm = berth({"run", "--rm", "--read-only", kImage, "sh", "-c",
                          "echo kept > /dev/shm/x && cat /dev/shm/x"});
  EXPECT_EQ(shm.exit_code, 0) << shm.err;
  EXPECT_EQ(shm.out, "kept\n");
}

// 0xa80425fb is Docker's default set; NET_ADMIN is bit 12.
TEST_F(ContainerIsolation, CapabilitiesAreDockersDefaultsPlusAddsMinusDrops) {
  const std::vector<std::string> show{"grep", "CapEff", "/proc/self/status"};
  auto with = [&](std::vector<std::string> flags) {
    std::vector<std::string> args{"run", "--rm"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(kImage);
    args.insert(args.end(), show.begin(), show.end());
    const auto done = berth(args);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return done.out;
  };
  EXPECT_EQ(with({}), "CapEff:\t00000000a80425fb\n");
  EXPECT_EQ(with({"--cap-drop", "ALL"}), "CapEff:\t0000000000000000\n");
  EXPECT_EQ(with({"--cap-add", "NET_ADMIN"}), "CapEff:\t00000000a80435fb\n");
}

TEST_F(ContainerIsolation, TheDefaultSeccompProfileRefusesNamespacesAndMounts) {
  const auto unshared = berth({"run", "--rm", kImage, "unshare", "-n", "true"});
  EXPECT_NE(unshared.exit_code, 0);
  EXPECT_NE(unshared.err.find("Operation not permitted"), std::string::npos) << unshared.err;

  const auto mounted = berth({"run", "--rm", kImage, "mount", "-t", "tmpfs", "none", "/tmp"});
  EXPECT_NE(mounted.exit_code, 0);
  EXPECT_NE(mounted.err.find("permission denied"), std::string::npos) << mounted.err;
}

} // namespace
} // namespace berth::testing
