// `berth cp` with a running container goes through its init's root: a pid
// read from state.json is trusted only while it is the same process.
#include "container_fixture.hpp"

#include <csignal>
#include <fstream>

#include <unistd.h>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class ContainerCopy : public ContainerTest {};

TEST_F(ContainerCopy, CopiesIntoAndOutOfARunningContainer) {
  const auto id = run_detached({kImage, "sleep", "1000"});
  const auto file = tmp().write("note", "hello\n");
  const auto in = berth({"cp", file.string(), id + ":/tmp/note"});
  ASSERT_EQ(in.exit_code, 0) << in.err;
  const auto out = berth({"cp", id + ":/tmp/note", (tmp().path() / "back").string()});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(read_file(tmp().path() / "back"), "hello\n");
}

// As if the init had died unrecorded and a host process had taken its pid.
TEST_F(ContainerCopy, APidNowBelongingToAHostProcessIsNotTrusted) {
  const auto id = run_detached({kImage, "sleep", "1000"});
  const auto state_path = root() / "containers" / id / "state.json";
  const auto original = read_file(state_path);
  const pid_t host_process = ::fork();
  if (host_process == 0) {
    ::execl("/bin/sleep", "sleep", "100", nullptr);
    ::_exit(127);
  }
  ASSERT_GT(host_process, 0);
  auto forged = nlohmann::json::parse(original);
  forged["pid"] = host_process;
  std::ofstream(state_path) << forged.dump();

  const auto probe = fs::path("/berth-cp-probe-" + std::to_string(::getpid()));
  const auto file = tmp().write("note", "escaped\n");
  const auto copied = berth({"cp", file.string(), id + ":" + probe.string()});
  const bool escaped = fs::exists(probe);
  fs::remove(probe);
  std::ofstream(state_path) << original;
  ::kill(host_process, SIGKILL);
  (void)wait_child(host_process, 5s);

  EXPECT_FALSE(escaped) << "berth cp wrote " << probe << " on the host";
  EXPECT_NE(copied.exit_code, 0);
  EXPECT_NE(copied.err.find("is gone"), std::string::npos) << copied.err;
}

} // namespace
} // namespace berth::testing
