#include "docker_fixture.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char *kDocker = "/usr/bin/docker";
constexpr const char *kPython = "/usr/bin/python3";
constexpr const char *kStack = BERTH_SOURCE_DIR "/examples/stacks/default.yaml";

bool answers(const std::filesystem::path &path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

} // namespace

void DockerApiTest::SetUp() {
  if (::access(kDocker, X_OK) != 0 || ::access(kPython, X_OK) != 0) {
    GTEST_SKIP() << "needs Debian's docker.io and python3-docker; run 'make deps'";
  }
  ContainerTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  start_daemon();
}

void DockerApiTest::TearDown() {
  stop_daemon();
  ContainerTest::TearDown();
}

void DockerApiTest::start_daemon() {
  const auto log = tmp().path() / "berthd.log";
  std::vector<std::string> argv{BERTHD_EXECUTABLE,
                                "engine",
                                "--root",
                                root().string(),
                                "-H",
                                "unix://" + socket().string(),
                                "--group",
                                "root",
                                "--log-level",
                                "debug"};
  std::vector<char *> pointers;
  pointers.reserve(argv.size() + 1);
  for (auto &arg : argv) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  daemon_pid_ = ::fork();
  if (daemon_pid_ == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(null, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::setenv("BERTH_STACK", kStack, 1);
    ::execv(pointers.front(), pointers.data());
    ::_exit(127);
  }
  ASSERT_TRUE(eventually([&] { return answers(socket()); }))
      << "berthd engine did not answer on " << socket() << ":\n"
      << daemon_log();
}

void DockerApiTest::stop_daemon() {
  if (daemon_pid_ <= 0) {
    return;
  }
  ::kill(daemon_pid_, SIGTERM);
  const auto exit = wait_child(daemon_pid_, 10s);
  if (!exit.exited) {
    ADD_FAILURE() << "berthd engine ignored SIGTERM:\n" << daemon_log();
    ::kill(daemon_pid_, SIGKILL);
    (void)wait_child(daemon_pid_, 5s);
  } else {
    EXPECT_EQ(exit.status.value_or(0), 0) << daemon_log();
  }
  daemon_pid_ = -1;
}

Completed DockerApiTest::docker(const std::vector<std::string> &args) const {
  std::vector<std::string> argv{"/usr/bin/timeout", "-k", "5", "60", kDocker};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {{"DOCKER_HOST", "unix://" + socket().string()},
                            {"DOCKER_CONFIG", (tmp().path() / "docker-config").string()}});
}

Completed DockerApiTest::python(const std::string &script) const {
  return run_process({"/usr/bin/timeout", "-k", "5", "60", kPython, "-c", script},
                     {{"DOCKER_HOST", "unix://" + socket().string()}});
}

std::string DockerApiTest::daemon_log() const {
  std::ifstream in(tmp().path() / "berthd.log");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace berth::testing
