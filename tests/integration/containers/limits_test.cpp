// Resource limits as the container and the host's cgroups see them: memory
// (with the OOM kill recorded), processes, CPU quota and rlimits.
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <sstream>

namespace berth::testing {
namespace {

class ContainerLimits : public ContainerTest {};

std::string first_line_of(const std::filesystem::path &file) {
  auto text = read_file(file);
  return text.substr(0, text.find('\n'));
}

TEST_F(ContainerLimits, AMemoryHogIsOomKilledAndInspectSaysSo) {
  const auto done = berth({"run", "--name", "hog", "-m", "32m", kImage, "sh", "-c",
                           "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived"});
  EXPECT_EQ(done.exit_code, 137) << done.out << done.err;
  EXPECT_EQ(done.out, "");
  const auto state = inspect("hog");
  track(state.value("Id", ""));
  EXPECT_EQ(state["State"]["OOMKilled"], true) << state["State"].dump();
  EXPECT_EQ(state["State"]["ExitCode"], 137);
  EXPECT_EQ(state["State"]["Status"], "exited");
  EXPECT_EQ(state["HostConfig"]["Memory"], 32 * 1024 * 1024);
}

TEST_F(ContainerLimits, APidsLimitStopsAForkBomb) {
  const auto done =
      berth({"run", "--rm", "--pids-limit", "20", kImage, "sh", "-c",
             "cat /sys/fs/cgroup/pids/pids.max; for i in $(seq 1 40); do sleep 5 & done"});
  EXPECT_EQ(done.out.substr(0, done.out.find('\n')), "20") << done.out;
  EXPECT_NE(done.err.find("can't fork"), std::string::npos) << done.err;
}

// The host's cgroup files and the container's own view of them agree.
TEST_F(ContainerLimits, CpusAndPidsLimitsLandInTheContainersCgroups) {
  const auto id = run_detached({"--cpus", "0.5", "--pids-limit", "20", kImage, "sleep", "1000"});
  const auto cpu = std::filesystem::path("/sys/fs/cgroup/cpu/berth") / id;
  EXPECT_EQ(first_line_of(cpu / "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(first_line_of(cpu / "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(first_line_of(std::filesystem::path("/sys/fs/cgroup/pids/berth") / id / "pids.max"),
            "20");

  const auto inside =
      berth({"exec", id, "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
             "/sys/fs/cgroup/cpu/cpu.cfs_period_us", "/sys/fs/cgroup/pids/pids.max"});
  EXPECT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_EQ(inside.out, "50000\n100000\n20\n");
}

// The init and an exec'd process are each in the container's cgroup in
// every hierarchy: seen from the container's cgroup namespace, each line
// is the root, not a path up and out of it.
TEST_F(ContainerLimits, InitAndExecdProcessesJoinTheContainersCgroupEverywhere) {
  const auto id = run_detached({kImage, "sleep", "1000"});
  for (const auto &args : std::vector<std::vector<std::string>>{
           {"exec", id, "cat", "/proc/1/cgroup"}, {"exec", id, "cat", "/proc/self/cgroup"}}) {
    const auto seen = berth(args);
    ASSERT_EQ(seen.exit_code, 0) << seen.err;
    std::istringstream lines(seen.out);
    int count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
      EXPECT_TRUE(line.ends_with(":/")) << args.back() << ": " << line;
    }
    EXPECT_GE(count, 2) << seen.out;
  }
}

TEST_F(ContainerLimits, UlimitSetsSoftAndHardLimits) {
  const auto done = berth(
      {"run", "--rm", "--ulimit", "nofile=1000:2000", kImage, "sh", "-c", "ulimit -n; ulimit -Hn"});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "1000\n2000\n");
}

// Raising a hard limit above the engine's own needs CAP_SYS_RESOURCE in the
// host's user namespace; berth refuses up front with one line.
TEST_F(ContainerLimits, AUlimitAboveTheEnginesHardLimitIsRefused) {
  rlimit own{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_max == RLIM_INFINITY) {
    GTEST_SKIP() << "this process has no hard limit on open files to exceed";
  }
  const auto above = std::to_string(own.rlim_max + 1);
  const auto done = berth({"run", "--rm", "--ulimit", "nofile=" + above + ":" + above, kImage, "sh",
                           "-c", "ulimit -n"});
  EXPECT_EQ(done.exit_code, 125) << done.out;
  EXPECT_EQ(done.out, "");
  EXPECT_EQ(lines(done.err).size(), 1U) << done.err;
  EXPECT_NE(done.err.find("nofile=" + above), std::string::npos) << done.err;
  EXPECT_TRUE(all_ids().empty());

  // The engine's own hard limit itself is fine.
  const auto hard = std::to_string(own.rlim_max);
  const auto at = berth(
      {"run", "--rm", "--ulimit", "nofile=" + hard + ":" + hard, kImage, "sh", "-c", "ulimit -Hn"});
  EXPECT_EQ(at.exit_code, 0) << at.err;
  EXPECT_EQ(at.out, hard + "\n");
}

} // namespace
} // namespace berth::testing
