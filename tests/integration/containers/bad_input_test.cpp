// Every mistake a user can make on the command line gets one line on stderr,
// a non-zero exit, and leaves nothing behind: no container, no mount, no
// cgroup, no volume.
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace berth::testing {
namespace {

class ContainerBadInput : public ContainerTest {
protected:
  void SetUp() override {
    ContainerTest::SetUp();
    cgroups_before_ = memory_cgroups();
  }

  // Nothing of a failed command may remain.
  void expect_nothing_left(const std::string &what) {
    EXPECT_TRUE(all_ids().empty()) << what << " left a container";
    const auto mounts = mounts_under(root() / "containers");
    EXPECT_TRUE(mounts.empty()) << what << " left a mount: " << mounts.front();
    EXPECT_EQ(berth({"volume", "ls", "-q"}).out, "") << what << " left a volume";
    std::error_code ec;
    EXPECT_TRUE(!std::filesystem::exists(root() / "containers") ||
                std::filesystem::is_empty(root() / "containers", ec))
        << what << " left a container directory";
    // A new cgroup may be another engine's live container on this machine;
    // a leak is one that stays empty (the native backend removes a
    // container's cgroups when it exits).
    std::set<std::string> leaked;
    const bool clean = eventually(
        [&] {
          leaked.clear();
          for (const auto &name : memory_cgroups()) {
            if (cgroups_before_.count(name) == 0 && !populated(name)) {
              leaked.insert(name);
            }
          }
          return leaked.empty();
        },
        std::chrono::seconds(2));
    EXPECT_TRUE(clean) << what << " left /sys/fs/cgroup/memory/berth/" << *leaked.begin();
  }

  static bool populated(const std::string &name) {
    const auto procs =
        read_file(std::filesystem::path("/sys/fs/cgroup/memory/berth") / name / "cgroup.procs");
    return !procs.empty();
  }

  std::set<std::string> cgroups_before_;
};

struct Mistake {
  std::vector<std::string> flags;   // between "run --rm" and the image
  std::string image;                // kImage unless given
  std::vector<std::string> command; // after the image
  int code;
  std::string says; // part of the one line
};

TEST_F(ContainerBadInput, EachMistakeIsOneLineAndLeavesNothing) {
  const auto missing_host_path = (tmp().path() / "no-such-dir").string();
  const std::vector<Mistake> mistakes = {
      {{}, "no-such-image:1", {"true"}, 125, "Unable to find image 'no-such-image:1' locally"},
      {{}, "", {"no-such-command"}, 127, "executable file not found"},
      {{}, "", {"/etc/passwd"}, 126, "permission denied"},
      {{"--memory", "abc"}, "", {"true"}, 125, "--memory"},
      {{"--cpus", "-1"}, "", {"true"}, 125, "--cpus"},
      {{"--cpus", "0.001"}, "", {"true"}, 125, "from 0.01 up"},
      {{"--restart", "sometimes"}, "", {"true"}, 125, "--restart"},
      {{"--ulimit", "foo=1"}, "", {"true"}, 125, "--ulimit"},
      // "relative:/x" names a volume, as in Docker; these cannot be one.
      {{"-v", "./relative:/x"}, "", {"true"}, 125, "must be absolute"},
      {{"-v", "relative/dir:/x"}, "", {"true"}, 125, "--volume"},
      {{"-v", "data:relative"}, "", {"true"}, 125, "the container path must be absolute"},
      {{"-v", missing_host_path + ":/x"}, "", {"true"}, 125, missing_host_path},
      {{"--runtime", "nosuch"}, "", {"true"}, 125, "nosuch"},
  };
  for (const auto &mistake : mistakes) {
    std::vector<std::string> args{"run", "--rm"};
    args.insert(args.end(), mistake.flags.begin(), mistake.flags.end());
    args.push_back(mistake.image.empty() ? kImage : mistake.image);
    args.insert(args.end(), mistake.command.begin(), mistake.command.end());
    std::string what;
    for (const auto &arg : args) {
      what += (what.empty() ? "" : " ") + arg;
    }
    SCOPED_TRACE(what);
    const auto done = berth(args);
    EXPECT_EQ(done.exit_code, mistake.code) << done.err;
    EXPECT_EQ(done.out, "");
    EXPECT_EQ(lines(done.err).size(), 1U) << done.err;
    EXPECT_TRUE(done.err.ends_with("\n")) << done.err;
    EXPECT_NE(done.err.find(mistake.says), std::string::npos) << done.err;
    // A failed start names the container it removed again.
    std::smatch id;
    if (std::regex_search(done.err, id, std::regex("[0-9a-f]{64}"))) {
      EXPECT_TRUE(cgroup_dirs(id.str()).empty()) << "cgroups of " << id.str() << " remain";
    }
    expect_nothing_left(what);
  }
}

TEST_F(ContainerBadInput, ADuplicateNameFailsAndLeavesTheFirstAlone) {
  const auto first = run_detached({"--name", "dup", kImage, "sleep", "1000"});
  const auto before = inspect("dup")["State"];
  const auto second = berth({"run", "-d", "--name", "dup", kImage, "sleep", "1000"});
  EXPECT_EQ(second.exit_code, 125);
  EXPECT_EQ(second.out, "");
  EXPECT_EQ(lines(second.err).size(), 1U) << second.err;
  EXPECT_NE(second.err.find("\"/dup\" is already in use"), std::string::npos) << second.err;

  EXPECT_EQ(all_ids(), std::vector<std::string>{first});
  const auto state = inspect("dup");
  EXPECT_EQ(state["Id"], first);
  EXPECT_EQ(state["State"]["Status"], "running");
  EXPECT_EQ(state["State"]["Pid"], before["Pid"]);
  EXPECT_EQ(state["State"]["StartedAt"], before["StartedAt"]);
}

TEST_F(ContainerBadInput, RmOfARunningContainerWithoutForceFails) {
  const auto id = run_detached({"--name", "busy", kImage, "sleep", "1000"});
  const auto refused = berth({"rm", "busy"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.out, "");
  EXPECT_EQ(lines(refused.err).size(), 1U) << refused.err;
  EXPECT_NE(refused.err.find("container is running"), std::string::npos) << refused.err;
  EXPECT_EQ(inspect(id)["State"]["Running"], true);
  EXPECT_EQ(berth({"exec", id, "true"}).exit_code, 0) << "the container no longer works";
}

} // namespace
} // namespace berth::testing
