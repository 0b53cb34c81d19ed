// The device program on the unified hierarchy, tested on this hybrid host
// where the v1 devices controller would otherwise do the work: the child
// joins only the cgroup2 directory, so the program alone stands between
// it and the host's block devices (as on a pure v2 host).
#include "common/cgroup.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using runtime::DeviceRule;

// "MAJOR:MINOR" of a block device the host has, or "" when it has none.
std::string some_block_device() {
  for (const auto &entry : fs::directory_iterator("/sys/dev/block")) {
    return entry.path().filename().string();
  }
  return {};
}

bool unified_hierarchy_mounted() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" - cgroup2 ") != std::string::npos) {
      return true;
    }
  }
  return false;
}

class DeviceProgramTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!unified_hierarchy_mounted()) {
      GTEST_SKIP() << "no cgroup2 hierarchy is mounted";
    }
    const auto device = some_block_device();
    ASSERT_FALSE(device.empty()) << "no block device in /sys/dev/block";
    block_major_ = std::stoi(device.substr(0, device.find(':')));
    block_minor_ = std::stoi(device.substr(device.find(':') + 1));
  }
  void TearDown() override {
    if (cgroup_) {
      (void)cgroup_->destroy();
    }
  }

  // The exit status of a child that joined a cgroup with rules (in the
  // unified hierarchy only) and ran probe.
  int run_in_cgroup(const std::vector<DeviceRule> &rules, const std::function<int()> &probe) {
    runtime::CgroupLimits limits;
    limits.devices = rules;
    auto made =
        runtime::Cgroup::create("/berth-test/devices-" + std::to_string(::getpid()), limits);
    EXPECT_TRUE(made.ok()) << made.error().describe();
    if (!made.ok()) {
      return -1;
    }
    cgroup_.emplace(std::move(*made));
    const int dir = cgroup_->open_unified();
    const pid_t child = ::fork();
    if (child == 0) {
      const int procs = ::openat(dir, "cgroup.procs", O_WRONLY);
      if (procs < 0 || ::write(procs, "0", 1) != 1) {
        ::_exit(100);
      }
      ::_exit(probe());
    }
    ::close(dir);
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
  }

  [[nodiscard]] dev_t block_device() const { return makedev(block_major_, block_minor_); }

  TempDir dir_;
  std::optional<runtime::Cgroup> cgroup_;
  int block_major_ = 0;
  int block_minor_ = 0;
};

// 0 when open(path) fails with err, else 1.
int open_fails_with(const fs::path &path, int err) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::close(fd);
    return 1;
  }
  return errno == err ? 0 : 1;
}

const std::vector<DeviceRule> kDockerLike = {
    {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "r"}};

TEST_F(DeviceProgramTest, AHostBlockDeviceMadeBeforehandCannotBeOpened) {
  const auto node = dir_.path() / "disk";
  ASSERT_EQ(::mknod(node.c_str(), S_IFBLK | 0600, block_device()), 0) << std::strerror(errno);
  EXPECT_EQ(run_in_cgroup(kDockerLike, [&] { return open_fails_with(node, EPERM); }), 0);
}

TEST_F(DeviceProgramTest, MknodOfABlockDeviceIsRefused) {
  const auto node = dir_.path() / "disk";
  EXPECT_EQ(run_in_cgroup(kDockerLike,
                          [&] {
                            return ::mknod(node.c_str(), S_IFBLK | 0600, block_device()) == -1 &&
                                           errno == EPERM
                                       ? 0
                                       : 1;
                          }),
            0);
}

TEST_F(DeviceProgramTest, AllowedDevicesOpenWithTheAccessGranted) {
  const auto null_node = dir_.path() / "null";
  const auto zero_node = dir_.path() / "zero";
  ASSERT_EQ(::mknod(null_node.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mknod(zero_node.c_str(), S_IFCHR | 0666, makedev(1, 5)), 0);
  EXPECT_EQ(run_in_cgroup(kDockerLike,
                          [&] {
                            const int null_fd = ::open(null_node.c_str(), O_RDWR);
                            const int zero_read = ::open(zero_node.c_str(), O_RDONLY);
                            const int zero_write = ::open(zero_node.c_str(), O_WRONLY);
                            if (null_fd < 0)
                              return 1;
                            if (zero_read < 0)
                              return 2;
                            if (zero_write >= 0 || errno != EPERM)
                              return 3; // only read was granted
                            return 0;
                          }),
            0);
}

TEST_F(DeviceProgramTest, TheLastMatchingRuleDecides) {
  const auto null_node = dir_.path() / "null";
  ASSERT_EQ(::mknod(null_node.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  const std::vector<DeviceRule> rules = {{true, 'c', 1, 3, "rwm"}, {false, 'c', 1, -1, "w"}};
  EXPECT_EQ(run_in_cgroup(rules,
                          [&] {
                            if (::open(null_node.c_str(), O_RDONLY) < 0)
                              return 1;
                            return ::open(null_node.c_str(), O_RDWR) < 0 && errno == EPERM ? 0 : 2;
                          }),
            0);
}

TEST(DeviceRules, SpecRulesBecomeV1LinesInOrder) {
  const auto rules = runtime::device_rules_from_spec(nlohmann::json::parse(R"([
    {"allow": false, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": true, "type": "c", "major": 136, "access": "rw"}])"));
  ASSERT_EQ(rules.size(), 3U);
  EXPECT_EQ(runtime::v1_device_line(rules[0]),
            std::make_pair(std::string("devices.deny"), std::string("a")));
  EXPECT_EQ(runtime::v1_device_line(rules[1]).second, "c 1:3 rwm");
  EXPECT_EQ(runtime::v1_device_line(rules[2]).second, "c 136:* rw");
}

} // namespace
} // namespace berth::testing
