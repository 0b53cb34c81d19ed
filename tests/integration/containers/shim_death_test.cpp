// A berth-shim killed with SIGKILL takes its container down with it: the
// next berth command notices the free lock, stops what is left and records
// the container as killed, so nothing runs unwatched.
#include "container/monitor.hpp"
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include <sys/wait.h>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using sdk::UniqueFd;

class ContainerShimDeath : public ContainerTest {};

TEST_F(ContainerShimDeath, KillingTheMonitorStopsAndRecordsTheContainer) {
  const auto id = run_detached({kImage, "sleep", "1000"});
  const auto state = state_file(id);
  const int monitor = state.value("monitorPid", 0);
  const int init = state.value("pid", 0);
  ASSERT_GT(monitor, 0) << state.dump();
  ASSERT_GT(init, 0) << state.dump();
  ASSERT_TRUE(process_alive(init));
  ASSERT_FALSE(cgroup_dirs(id).empty()) << "no cgroup to watch";

  // The shim is this process's child (we are its subreaper): ours to kill.
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  const auto shim = wait_child(monitor, 10s);
  ASSERT_TRUE(shim.exited);
  ASSERT_TRUE(shim.status.has_value()) << "berth-shim was not our child";
  EXPECT_TRUE(WIFSIGNALED(*shim.status) && WTERMSIG(*shim.status) == SIGKILL);

  const auto listed = berth({"ps", "-a"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  const auto rows = lines(listed.out);
  ASSERT_EQ(rows.size(), 2U) << listed.out;
  EXPECT_TRUE(rows[1].starts_with(id.substr(0, 12))) << rows[1];
  EXPECT_NE(rows[1].find("Exited (137)"), std::string::npos) << rows[1];

  const auto after = inspect(id)["State"];
  EXPECT_EQ(after["Status"], "exited");
  EXPECT_EQ(after["ExitCode"], 137);
  EXPECT_EQ(after["Running"], false);
  EXPECT_NE(after.value("Error", "").find("berth-shim"), std::string::npos) << after.dump();

  // The orphaned init came to us as well; it must have been killed.
  const auto sleeper = wait_child(init, 10s);
  EXPECT_TRUE(sleeper.exited) << "sleep 1000 (pid " << init << ") survived its monitor";
  if (sleeper.status) {
    EXPECT_TRUE(WIFSIGNALED(*sleeper.status) && WTERMSIG(*sleeper.status) == SIGKILL);
  }
  EXPECT_TRUE(cgroup_dirs(id).empty()) << "cgroup left: " << cgroup_dirs(id).front();
}

// A created container's init is a clone of its shim waiting for `start`:
// it must not keep the shim's lock, or every later command waits forever
// for a shim that is gone (the fixture's berth gives up after 60 s, 124).
// `run` leaves the container created until its first attach client says
// hello; this test connects first and says nothing, so the shim waits.
TEST_F(ContainerShimDeath, KillingTheMonitorOfACreatedContainerLeavesNothingWaiting) {
  const auto client = spawn_berth({"run", "--network", "none", kImage, "sleep", "1000"});
  ASSERT_GT(client, 0);
  // Busy: the client connects as soon as the shim reports "created",
  // so this connection must come first.
  UniqueFd silent;
  fs::path home;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!silent.valid() && std::chrono::steady_clock::now() < deadline) {
    std::error_code absent;
    for (const auto &entry : fs::directory_iterator(root() / "containers", absent)) {
      if (auto connected = connect_attach(entry.path()); connected.ok()) {
        silent.reset(*connected);
        home = entry.path();
      }
    }
  }
  ASSERT_TRUE(silent.valid()) << "no attach socket appeared";
  const auto id = home.filename().string();
  track(id);
  ASSERT_TRUE(eventually([&] { return state_file(id).value("status", "") == "created"; }, 10s))
      << state_file(id).dump();
  // The user's `run` goes first (a closed terminal), so that nobody but
  // the next command cleans up; then the shim.
  ASSERT_EQ(::kill(client, SIGKILL), 0);
  ASSERT_TRUE(wait_child(client, 10s).exited);
  const int monitor = state_file(id).value("monitorPid", 0);
  ASSERT_GT(monitor, 0) << state_file(id).dump();
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  ASSERT_TRUE(wait_child(monitor, 10s).exited);
  silent.reset();

  const auto removed = berth({"rm", "-f", id});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(all_ids().empty());
  EXPECT_TRUE(mounts_under(root() / "containers").empty());
  EXPECT_TRUE(cgroup_dirs(id).empty()) << "cgroup left: " << cgroup_dirs(id).front();
}

} // namespace
} // namespace berth::testing
