// The harness for berthd engine's tests: a ContainerTest (private mount and
// network namespaces, a busybox image in its own root) with `berthd engine`
// serving that root on a socket in the test's directory, and the real
// clients pointed at it: Debian's docker 20.10 CLI and docker-py.
#pragma once

#include "../containers/container_fixture.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace berth::testing {

class DockerApiTest : public ContainerTest {
protected:
  void SetUp() override;
  void TearDown() override;

  // Starts berthd engine on socket(); asserts that it answers.
  void start_daemon();
  // SIGTERM, and waits for it to exit; the log is printed when it fails.
  void stop_daemon();

  [[nodiscard]] std::filesystem::path socket() const { return tmp().path() / "docker.sock"; }
  // `docker ARGS...` (/usr/bin/docker, 20.10) against berthd.
  [[nodiscard]] Completed docker(const std::vector<std::string> &args) const;
  // A docker-py script for /usr/bin/python3, with DOCKER_HOST set.
  [[nodiscard]] Completed python(const std::string &script) const;
  [[nodiscard]] std::string daemon_log() const;

private:
  int daemon_pid_ = -1;
};

} // namespace berth::testing
