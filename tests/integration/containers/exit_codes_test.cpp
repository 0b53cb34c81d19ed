// Exit codes as Docker gives them (the command's own, 125/126/127 for what
// never ran), stop's TERM-then-KILL, kill's signal, and --init's reaping.
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

class ContainerExit : public ContainerTest {
protected:
  // A detached shell that says "ready" once its traps are set: a signal that
  // reaches a PID 1 before it has a handler is dropped.
  std::string run_trapping(const std::string &traps) {
    const auto id =
        run_detached({kImage, "sh", "-c", traps + "; echo ready; while true; do sleep 0.1; done"});
    EXPECT_TRUE(log_shows(id, "ready")) << "the container never said ready";
    return id;
  }

  struct Process {
    std::string stat;
    std::string args;
  };
  // `ps -o pid,stat,args` inside the container, by pid.
  std::map<int, Process> processes(const std::string &id) const {
    const auto done = berth({"exec", id, "ps", "-o", "pid,stat,args"});
    EXPECT_EQ(done.exit_code, 0) << done.err;
    std::map<int, Process> table;
    for (const auto &line : lines(done.out)) {
      std::istringstream fields(line);
      int pid = 0;
      Process process;
      if (fields >> pid >> process.stat) {
        std::getline(fields >> std::ws, process.args);
        table[pid] = process;
      }
    }
    return table;
  }

  static std::string describe(const std::map<int, Process> &table) {
    std::string text;
    for (const auto &[pid, process] : table) {
      text += std::to_string(pid) + " " + process.stat + " " + process.args + "\n";
    }
    return text;
  }
};

TEST_F(ContainerExit, RunExitsWithTheCommandsCode) {
  const auto done = berth({"run", "--rm", kImage, "sh", "-c", "exit 3"});
  EXPECT_EQ(done.exit_code, 3) << done.err;
  EXPECT_EQ(done.err, "");
}

TEST_F(ContainerExit, AMissingCommandIs127) {
  const auto done = berth({"run", kImage, "no-such-command"});
  EXPECT_EQ(done.exit_code, 127);
  EXPECT_NE(done.err.find("exec: \"no-such-command\": executable file not found in $PATH"),
            std::string::npos)
      << done.err;
}

TEST_F(ContainerExit, AFileThatCannotBeExecutedIs126) {
  const auto done = berth({"run", kImage, "/etc/passwd"});
  EXPECT_EQ(done.exit_code, 126);
  EXPECT_NE(done.err.find("exec: \"/etc/passwd\": permission denied"), std::string::npos)
      << done.err;
}

// The failed exec's process is reaped: left a zombie whose parent is
// outside the container's PID namespace, it kept the container's init from
// finishing its exit, and stop timed out (this suite, a subreaper that
// reaps late, is where that showed).
TEST_F(ContainerExit, AFailedExecIs127AndLeavesTheContainerStoppable) {
  const auto id = run_detached({kImage, "sleep", "100"});
  const auto missing = berth({"exec", id, "no-such-program"});
  EXPECT_EQ(missing.exit_code, 127) << missing.err;
  const auto stopped = berth({"stop", "-t", "0", id});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

TEST_F(ContainerExit, AMissingImageIs125) {
  const auto done = berth({"run", "no-such-image:1", "true"});
  EXPECT_EQ(done.exit_code, 125);
  EXPECT_NE(done.err.find("Unable to find image 'no-such-image:1' locally"), std::string::npos)
      << done.err;
}

TEST_F(ContainerExit, StopKillsAContainerThatIgnoresTermAfterTheTimeout) {
  const auto id = run_trapping("trap '' TERM");
  const auto before = std::chrono::steady_clock::now();
  const auto stopped = berth({"stop", "-t", "1", id});
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(stopped.out, id + "\n");
  EXPECT_GE(took, 900ms) << "SIGKILL came before the timeout";
  EXPECT_LT(took, 5s);
  const auto state = inspect(id)["State"];
  EXPECT_EQ(state["Status"], "exited");
  EXPECT_EQ(state["ExitCode"], 137);
  EXPECT_EQ(state["Running"], false);
}

TEST_F(ContainerExit, StopLetsAContainerThatHandlesTermExitWithItsOwnCode) {
  const auto id = run_trapping("trap 'exit 7' TERM");
  const auto before = std::chrono::steady_clock::now();
  const auto stopped = berth({"stop", "-t", "10", id});
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s) << "stop waited for the timeout";
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(inspect(id)["State"]["ExitCode"], 7);
}

TEST_F(ContainerExit, KillDeliversTheNamedSignal) {
  const auto id = run_trapping("trap 'echo got-usr1; exit 9' USR1");
  const auto killed = berth({"kill", "-s", "USR1", id});
  EXPECT_EQ(killed.exit_code, 0) << killed.err;
  const auto waited = berth({"wait", id});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_EQ(waited.out, "9\n");
  EXPECT_EQ(berth({"logs", id}).out, "ready\ngot-usr1\n");
}

// An orphan is re-parented to PID 1. `exec sleep` as PID 1 never reaps it;
// berth-init, PID 1 with --init, does. (The orphan must be a grandchild:
// a direct child of sh would become the child of the exec'd sleep, which
// no init can reap.)
TEST_F(ContainerExit, InitReapsOrphanedZombies) {
  const auto id = run_detached({"--init", kImage, "sh", "-c", "(sleep 0.2 &); exec sleep 1000"});
  auto table = processes(id);
  EXPECT_TRUE(table[1].args.starts_with("/dev/init -- sh -c")) << "PID 1 is not berth-init:\n"
                                                               << describe(table);
  EXPECT_TRUE(eventually([&] {
    table = processes(id);
    return std::none_of(table.begin(), table.end(), [](const auto &entry) {
      return entry.second.args == "sleep 0.2" || entry.second.stat.starts_with("Z");
    });
  })) << "the orphan was not reaped:\n"
      << describe(table);
}

TEST_F(ContainerExit, WithoutInitOrphansStayZombies) {
  const auto id = run_detached({kImage, "sh", "-c", "(sleep 0.2 &); exec sleep 1000"});
  std::map<int, Process> table;
  EXPECT_TRUE(eventually([&] {
    table = processes(id);
    return std::any_of(table.begin(), table.end(), [](const auto &entry) {
      return entry.second.stat.starts_with("Z") && entry.second.args == "[sleep]";
    });
  })) << "no zombie appeared:\n"
      << describe(table);
  EXPECT_EQ(table[1].args, "sleep 1000") << describe(table);
}

} // namespace
} // namespace berth::testing
