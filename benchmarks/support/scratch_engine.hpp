// What the benchmarks that compare whole commands share: a scratch berth
// root with a busybox image, a podman store with the same image, and a
// runner that times a command with the CPU time of everything it started.
//
// Every command runs in a cpuacct cgroup of the engine's own (a container
// moves on to its own cgroup, so the container itself is not counted).
// Construct it inside the benchmark's private mount namespace.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace berth::benchmarks {

struct Sample {
  double wall_ms = 0;
  double cpu_ms = 0;
  int status = -1;
  std::string output;
  std::string error; // the first line of stderr
};

// The first line of text: a container id from `run -d`'s output.
std::string first_line(const std::string &text);

class ScratchEngine {
public:
  // name tells this engine's directory (/var/tmp/berth-NAME-bench-XXXXXX)
  // and cgroup apart from another benchmark's; error() says what failed.
  explicit ScratchEngine(const std::string &name);
  // Removes every container and image, podman's cgroups, the cgroup, any
  // mount left under the directory, and the directory.
  ~ScratchEngine();
  ScratchEngine(const ScratchEngine &) = delete;
  ScratchEngine &operator=(const ScratchEngine &) = delete;
  ScratchEngine(ScratchEngine &&) = delete;
  ScratchEngine &operator=(ScratchEngine &&) = delete;

  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string &error() const { return error_; }
  [[nodiscard]] const std::filesystem::path &dir() const { return dir_; }
  [[nodiscard]] std::filesystem::path root() const { return dir_ / "root"; }

  // Runs args in the cgroup and waits for it. Wall and CPU time cover the
  // command and everything it started, not reading its output.
  Sample run(const std::vector<std::string> &args);
  // args as a berth command on the scratch root.
  [[nodiscard]] std::vector<std::string> berth(std::vector<std::string> args) const;
  // args as a podman command on the scratch store, with crun when crun can
  // run on this host (hugetlb on cgroup v1), else runc.
  [[nodiscard]] std::vector<std::string> podman(std::vector<std::string> args) const;

  // A busybox root filesystem at rootfs with the applets tools, imported as
  // bench:latest. False with error() on failure.
  bool make_image(const std::filesystem::path &rootfs, const std::vector<std::string> &tools);
  // bench:latest into podman's store. False when podman is missing or fails;
  // then podman_available() stays false.
  bool load_podman();
  [[nodiscard]] bool podman_available() const { return podman_; }

private:
  void remove_podman_parents() const;

  std::filesystem::path dir_;
  std::filesystem::path cgroup_;
  std::string error_;
  bool podman_ = false;
  bool podman_tried_ = false; // its store and cgroups need cleaning up
  std::vector<std::filesystem::path> podman_parents_before_;
};

} // namespace berth::benchmarks
