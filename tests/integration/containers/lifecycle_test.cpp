// A container's life through the CLI: create, start, wait, ps, logs, exec,
// top, stats, restart and restart policies, --rm, stdin and terminals, prune.
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <regex>
#include <set>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

class ContainerLifecycle : public ContainerTest {
protected:
  // The container's berth-shim, which exits once nothing more can happen:
  // no restart is left and no client waits.
  int monitor_of(const std::string &id) const { return state_file(id).value("monitorPid", 0); }
};

TEST_F(ContainerLifecycle, CreateThenStartThenWait) {
  const auto created =
      berth({"create", "--name", "c1", kImage, "sh", "-c", "echo out; echo err >&2; exit 4"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_TRUE(std::regex_match(created.out, std::regex("[0-9a-f]{64}\n"))) << created.out;
  const auto id = created.out.substr(0, 64);
  track(id);
  EXPECT_EQ(inspect("c1")["State"]["Status"], "created");
  EXPECT_TRUE(berth({"ps", "-q"}).out.empty()) << "a created container is not running";
  EXPECT_EQ(berth({"ps", "-aq"}).out, id.substr(0, 12) + "\n");

  const auto started = berth({"start", "c1"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out, "c1\n");
  const auto waited = berth({"wait", "c1"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_EQ(waited.out, "4\n");
  const auto state = inspect(id)["State"];
  EXPECT_EQ(state["Status"], "exited");
  EXPECT_EQ(state["ExitCode"], 4);
}

// Unnamed containers created at once each get a name of their own: with
// 400 generated names, 40 concurrent creates draw the same one more often
// than not, and the one that loses the race draws again (as Docker's does)
// instead of failing.
TEST_F(ContainerLifecycle, ConcurrentCreatesWithoutANameAllSucceedWithDistinctNames) {
  constexpr int kCreates = 40;
  std::vector<std::future<Completed>> creates;
  for (int i = 0; i < kCreates; ++i) {
    creates.push_back(std::async(std::launch::async, [&] {
      return berth({"create", kImage, "true"});
    }));
  }
  std::set<std::string> names;
  for (auto &create : creates) {
    const auto done = create.get();
    EXPECT_EQ(done.exit_code, 0) << done.err;
    if (done.exit_code == 0) {
      const auto id = done.out.substr(0, 64);
      track(id);
      names.insert(inspect(id)["Name"].get<std::string>());
    }
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kCreates));
}

TEST_F(ContainerLifecycle, LogsKeepStdoutAndStderrApart) {
  const auto done =
      berth({"run", "--name", "talker", kImage, "sh", "-c", "echo out; echo err >&2; echo more"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "out\nmore\n");
  EXPECT_EQ(done.err, "err\n");
  track(inspect("talker").value("Id", ""));

  const auto logs = berth({"logs", "talker"});
  EXPECT_EQ(logs.exit_code, 0);
  EXPECT_EQ(logs.out, "out\nmore\n");
  EXPECT_EQ(logs.err, "err\n");

  const auto stamped = berth({"logs", "-t", "talker"});
  const std::regex stamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z )");
  const auto out = lines(stamped.out);
  ASSERT_EQ(out.size(), 2U) << stamped.out;
  for (const auto &[line, text] : {std::pair{out[0], "out"}, std::pair{out[1], "more"}}) {
    std::smatch match;
    EXPECT_TRUE(std::regex_search(line, match, stamp) && match.position(0) == 0) << line;
    EXPECT_EQ(line.substr(line.find(' ') + 1), text);
  }
  EXPECT_TRUE(std::regex_match(stamped.err, std::regex(R"(\S+Z err\n)"))) << stamped.err;
}

// The order between stdout and stderr lines is not kept (two pipes, as in
// Docker), so the tail is taken from one stream.
TEST_F(ContainerLifecycle, LogsTailShowsTheLastLines) {
  const auto done = berth({"run", "--name", "counter", kImage, "sh", "-c", "seq 1 5"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  track(inspect("counter").value("Id", ""));
  EXPECT_EQ(berth({"logs", "--tail", "1", "counter"}).out, "5\n");
  EXPECT_EQ(berth({"logs", "--tail", "2", "counter"}).out, "4\n5\n");
  EXPECT_EQ(berth({"logs", "--tail", "9", "counter"}).out, "1\n2\n3\n4\n5\n");
}

TEST_F(ContainerLifecycle, LogsFollowEndsWhenTheContainerExits) {
  const auto id = run_detached({kImage, "sh", "-c", "echo first; sleep 0.5; echo last"});
  const auto followed = berth({"logs", "-f", id});
  EXPECT_EQ(followed.exit_code, 0) << followed.err;
  EXPECT_EQ(followed.out, "first\nlast\n");
  EXPECT_EQ(inspect(id)["State"]["Status"], "exited");
}

TEST_F(ContainerLifecycle, DetachedContainersAreListed) {
  const auto id = run_detached({"--name", "d1", kImage, "sleep", "1000"});
  const auto created = berth({"create", "--name", "idle", kImage, "true"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  track(created.out.substr(0, 64));

  const auto table = berth({"ps"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  const auto rows = lines(table.out);
  ASSERT_EQ(rows.size(), 2U) << table.out;
  EXPECT_TRUE(rows[0].starts_with("CONTAINER ID")) << rows[0];
  EXPECT_TRUE(rows[1].starts_with(id.substr(0, 12))) << rows[1];
  EXPECT_NE(rows[1].find(" Up "), std::string::npos) << rows[1];
  EXPECT_TRUE(rows[1].ends_with("d1")) << rows[1];

  EXPECT_EQ(berth({"ps", "-q"}).out, id.substr(0, 12) + "\n");
  EXPECT_EQ(lines(berth({"ps", "-aq"}).out).size(), 2U);

  const auto json = berth({"ps", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto list = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << json.out;
  ASSERT_EQ(list.size(), 1U) << json.out;
  EXPECT_EQ(list[0]["Id"], id);
  EXPECT_EQ(list[0]["Names"], nlohmann::json({"d1"}));
  EXPECT_EQ(list[0]["State"], "running");
  EXPECT_EQ(list[0]["Image"], kImage);
  EXPECT_EQ(list[0]["Command"], nlohmann::json({"sleep", "1000"}));
  EXPECT_GT(list[0]["Pid"].get<int>(), 0);
}

TEST_F(ContainerLifecycle, ExecRunsInsideWithItsOwnEnvUserAndDirectory) {
  const auto id = run_detached({kImage, "sleep", "1000"});
  const auto code = berth({"exec", id, "sh", "-c", "echo hi; echo oops >&2; exit 5"});
  EXPECT_EQ(code.exit_code, 5);
  EXPECT_EQ(code.out, "hi\n");
  EXPECT_EQ(code.err, "oops\n");
  EXPECT_EQ(berth({"exec", "-e", "FOO=bar", id, "sh", "-c", "echo $FOO"}).out, "bar\n");
  EXPECT_EQ(berth({"exec", "-u", "nobody", id, "id"}).out,
            "uid=65534(nobody) gid=65534(nogroup)\n");
  EXPECT_EQ(berth({"exec", "-w", "/tmp", id, "pwd"}).out, "/tmp\n");
  EXPECT_EQ(berth({"exec", id, "hostname"}).out, id.substr(0, 12) + "\n");
}

TEST_F(ContainerLifecycle, TopListsTheContainersProcesses) {
  const auto id = run_detached({kImage, "sh", "-c", "sleep 1001 & exec sleep 1002"});
  std::string last;
  EXPECT_TRUE(eventually([&] {
    last = berth({"top", id}).out;
    return last.find("sleep 1001") != std::string::npos &&
           last.find("sleep 1002") != std::string::npos;
  })) << last;
  const auto rows = lines(last);
  ASSERT_EQ(rows.size(), 3U) << last;
  EXPECT_TRUE(std::regex_match(rows[0], std::regex(R"(UID\s+PID\s+PPID\s+STATE\s+TIME\s+CMD\s*)")))
      << rows[0];
  const auto init_pid = std::to_string(inspect(id)["State"]["Pid"].get<int>());
  EXPECT_NE(last.find(" " + init_pid + " "), std::string::npos)
      << "the init (pid " << init_pid << ") is missing:\n"
      << last;
}

TEST_F(ContainerLifecycle, StatsReportMemoryInJson) {
  const auto id = run_detached({"--name", "measured", kImage, "sleep", "1000"});
  const auto done = berth({"stats", "--no-stream", "--format", "json", "measured"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto list = nlohmann::json::parse(done.out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 1U) << done.out;
  EXPECT_EQ(list[0]["Name"], "measured");
  EXPECT_GT(list[0]["MemoryBytes"].get<std::uint64_t>(), 0U);
  EXPECT_EQ(list[0]["Pids"], 1);
}

TEST_F(ContainerLifecycle, RestartRunsTheContainerAgain) {
  const auto id = run_detached({kImage, "sleep", "1000"});
  const auto before = inspect(id)["State"];
  const auto restarted = berth({"restart", "-t", "0", id});
  EXPECT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_EQ(restarted.out, id + "\n");
  const auto after = inspect(id)["State"];
  EXPECT_EQ(after["Status"], "running") << after.dump();
  EXPECT_NE(after["StartedAt"], before["StartedAt"]);
  EXPECT_NE(after["Pid"], before["Pid"]);
  EXPECT_EQ(berth({"exec", id, "true"}).exit_code, 0) << "the restarted container is not usable";
}

TEST_F(ContainerLifecycle, OnFailureRestartsUpToItsLimit) {
  const auto id = run_detached({"--restart", "on-failure:2", kImage, "sh", "-c", "exit 1"});
  const int monitor = monitor_of(id);
  ASSERT_GT(monitor, 0);
  ASSERT_TRUE(wait_child(monitor, 15s).exited) << "the monitor still runs, restarting";
  const auto state = inspect(id);
  EXPECT_EQ(state["RestartCount"], 2);
  EXPECT_EQ(state["State"]["Status"], "exited");
  EXPECT_EQ(state["State"]["ExitCode"], 1);
  EXPECT_EQ(berth({"wait", id}).out, "1\n");
}

TEST_F(ContainerLifecycle, StopEndsAnAlwaysRestartForGood) {
  const auto id = run_detached({"--restart", "always", kImage, "sh", "-c", "sleep 0.1"});
  const int monitor = monitor_of(id);
  ASSERT_GT(monitor, 0);
  ASSERT_TRUE(eventually([&] { return inspect(id).value("RestartCount", 0) >= 1; }))
      << "never restarted";
  const auto stopped = berth({"stop", "-t", "0", id});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  // Once the monitor is gone nothing can start the container again.
  EXPECT_TRUE(wait_child(monitor, 10s).exited) << "the monitor kept going after stop";
  const auto state = inspect(id)["State"];
  EXPECT_EQ(state["Status"], "exited");
  EXPECT_EQ(state["Running"], false);
  EXPECT_EQ(state["Restarting"], false);
  EXPECT_EQ(berth({"ps", "-q"}).out, "");
}

TEST_F(ContainerLifecycle, RunRmLeavesNothing) {
  const auto done = berth({"run", "--rm", kImage, "sh", "-c", "echo bye"});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "bye\n");
  EXPECT_TRUE(all_ids().empty());
  EXPECT_TRUE(std::filesystem::is_empty(root() / "containers"));
}

TEST_F(ContainerLifecycle, ADetachedRmContainerRemovesItselfOnExit) {
  const auto id = run_detached({"--rm", kImage, "sh", "-c", "sleep 0.2"});
  EXPECT_TRUE(eventually([&] { return all_ids().empty(); })) << "still listed after its exit";
  // The directory goes last, just after the record.
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(root() / "containers" / id); }))
      << "its directory is left after its exit";
}

TEST_F(ContainerLifecycle, InteractiveRunReadsPipedStdin) {
  const auto done = shell("echo hi | $BERTH run --rm -i busybox:test cat");
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "hi\n");
  // Without -i the container's stdin is empty.
  const auto closed = shell("echo hi | $BERTH run --rm busybox:test cat");
  EXPECT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_EQ(closed.out, "");
}

// The test's own stdin is /dev/null, not a terminal: -t gives the container a
// pty regardless (and its line discipline turns \n into \r\n).
TEST_F(ContainerLifecycle, TtyGivesTheContainerATerminal) {
  const auto tty = berth({"run", "--rm", "-t", kImage, "sh", "-c", "test -t 1 && echo tty"});
  EXPECT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_EQ(tty.out, "tty\r\n");
  const auto plain = berth({"run", "--rm", kImage, "sh", "-c", "test -t 1 || echo no-tty"});
  EXPECT_EQ(plain.out, "no-tty\n");
}

TEST_F(ContainerLifecycle, PruneRemovesOnlyStoppedContainers) {
  const auto running = run_detached({kImage, "sleep", "1000"});
  const auto exited = berth({"run", "--name", "exited", kImage, "true"});
  ASSERT_EQ(exited.exit_code, 0) << exited.err;
  const auto exited_id = inspect("exited").value("Id", "");
  track(exited_id);
  const auto created = berth({"create", kImage, "true"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto created_id = created.out.substr(0, 64);
  track(created_id);

  const auto pruned = berth({"container", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  auto removed = lines(pruned.out);
  ASSERT_FALSE(removed.empty());
  EXPECT_EQ(removed.front(), "Deleted Containers:");
  removed.erase(removed.begin());
  std::sort(removed.begin(), removed.end());
  auto expected = std::vector<std::string>{exited_id, created_id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(removed, expected);
  EXPECT_EQ(all_ids(), std::vector<std::string>{running});
  EXPECT_EQ(inspect(running)["State"]["Status"], "running");
}

} // namespace
} // namespace berth::testing
