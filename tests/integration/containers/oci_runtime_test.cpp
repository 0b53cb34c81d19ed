// --runtime runc and --runtime crun (the oci backend) run the same image
// with the same exit codes as the native backend.
#include "container_fixture.hpp"
#include "support/host_tools.hpp"
#include "support/hugetlb_binding.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <optional>
#include <string>

namespace berth::testing {
namespace {

class ContainerOciRuntime : public ContainerTest {
protected:
  void TearDown() override {
    ContainerTest::TearDown();
    // crun removes each container's cgroup but not their parent.
    ::rmdir("/sys/fs/cgroup/hugetlb/berth");
    hugetlb_.release();
  }

  std::optional<std::string> bind_hugetlb() { return hugetlb_.bind(); }

  // What the native backend does, through runtime.
  void expect_runs_like_native(const std::string &runtime) {
    const auto hi = berth({"run", "--rm", "--runtime", runtime, kImage, "echo", "hi"});
    EXPECT_EQ(hi.exit_code, 0) << hi.err;
    EXPECT_EQ(hi.out, "hi\n");
    EXPECT_EQ(hi.err, "");
    EXPECT_EQ(berth({"run", "--rm", "--runtime", runtime, kImage, "sh", "-c", "exit 3"}).exit_code,
              3);
    const auto missing = berth({"run", "--rm", "--runtime", runtime, kImage, "no-such-command"});
    EXPECT_EQ(missing.exit_code, 127) << missing.err;
    EXPECT_EQ(lines(missing.err).size(), 1U) << missing.err;
    // The runtime fails half way through its create: nothing it made stays.
    const auto created = berth({"create", "--runtime", runtime, kImage, "no-such-command"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    const auto broken = lines(created.out).front();
    EXPECT_EQ(berth({"start", broken}).exit_code, 127);
    EXPECT_TRUE(cgroup_dirs(broken).empty()) << "cgroups left by a failed start";
    const auto pid_one =
        berth({"run", "--rm", "--runtime", runtime, kImage, "sh", "-c", "echo $$"});
    EXPECT_EQ(pid_one.out, "1\n") << pid_one.err;

    const auto id = run_detached({"--runtime", runtime, kImage, "sleep", "1000"});
    EXPECT_EQ(inspect(id)["HostConfig"]["Runtime"], runtime);
    const auto exec = berth({"exec", id, "sh", "-c", "hostname; exit 4"});
    EXPECT_EQ(exec.exit_code, 4) << exec.err;
    EXPECT_EQ(exec.out, id.substr(0, 12) + "\n");
    const auto removed = berth({"rm", "-f", id});
    EXPECT_EQ(removed.exit_code, 0) << removed.err;
    EXPECT_TRUE(cgroup_dirs(id).empty());
  }

private:
  HugetlbBinding hugetlb_;
};

TEST_F(ContainerOciRuntime, RuncRunsLikeTheNativeBackend) {
  if (!installed("runc")) {
    GTEST_SKIP() << "runc is not installed";
  }
  expect_runs_like_native("runc");
}

TEST_F(ContainerOciRuntime, CrunRunsLikeTheNativeBackend) {
  if (!installed("crun")) {
    GTEST_SKIP() << "crun is not installed";
  }
  if (auto reason = bind_hugetlb()) {
    GTEST_SKIP() << *reason;
  }
  const auto probe = berth({"run", "--rm", "--runtime", "crun", kImage, "true"});
  if (probe.exit_code != 0 && probe.err.find("hybrid") != std::string::npos) {
    GTEST_SKIP() << "crun refuses this host even with hugetlb on v1: " << probe.err;
  }
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  expect_runs_like_native("crun");
}

} // namespace
} // namespace berth::testing
