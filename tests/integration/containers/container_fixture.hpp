// The harness for the container tests: each test drives the real berth binary
// against its own --root, with a busybox image imported from /bin/busybox.
//
// berth-shim outlives the berth command that spawned it, and berth mounts the
// container's rootfs in its own mount namespace, so every command of a test
// must share one namespace: the test process itself leaves the host's (a
// private copy, once per suite) and every berth child inherits it. The test
// process is also a child subreaper, so the detached shims (and a container
// whose shim died) are its children: TearDown can wait for them and tell
// exactly which are still alive.
#pragma once

#include "support/image_builder.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace berth::testing {

inline constexpr const char *kImage = "busybox:test";

// How a child of this process ended, when it did within the time allowed.
struct ChildExit {
  bool exited = false;
  std::optional<int> status; // the wait status, when it was ours to reap
};

class ContainerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  [[nodiscard]] const std::filesystem::path &root() const { return root_; }
  [[nodiscard]] const TempDir &tmp() const { return *tmp_; }

  // `berth --root ROOT ARGS...` with the built-in default stack, killed
  // after a minute so that a hang fails the test instead of stalling it.
  Completed berth(const std::vector<std::string> &args) const;
  // The same against another state root (and stack file, when given).
  static Completed berth_at(const std::filesystem::path &root, const std::vector<std::string> &args,
                            const std::filesystem::path &stack = {});
  // The busybox tree the suite's image holds, as one layer's entries.
  static std::vector<TarEntry> busybox_entries();
  // The busybox image's archive, for another root to import.
  static const std::filesystem::path &image_tar() { return image_tar_; }
  // Starts `berth --root ROOT ARGS...` in the background, stdio on
  // /dev/null; its pid (a child of this process, for wait_child).
  int spawn_berth(const std::vector<std::string> &args) const;
  // A /bin/sh script in which $BERTH is `berth --root ROOT`.
  Completed shell(const std::string &script) const;
  // `run -d ARGS...`: asserts that it started, remembers and returns the id.
  std::string run_detached(const std::vector<std::string> &args);
  // Remembers a container (a full id; anything else is ignored) so that
  // TearDown checks what it leaves behind.
  void track(const std::string &id);

  nlohmann::json inspect(const std::string &container) const;
  // The monitor's <root>/containers/<id>/state.json.
  nlohmann::json state_file(const std::string &id) const;
  // Full ids of every container, `ps -aq --no-trunc`.
  std::vector<std::string> all_ids() const;
  // Polls until the container's log has text in it (stdout and stderr).
  bool log_shows(const std::string &container, const std::string &text,
                 std::chrono::milliseconds limit = std::chrono::seconds(10)) const;

  // True once ready() holds, polled every 50 ms; false at the deadline.
  static bool eventually(const std::function<bool()> &ready,
                         std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Waits (bounded) for pid to end and reaps it when it is our child.
  static ChildExit wait_child(int pid, std::chrono::milliseconds limit);
  static bool process_alive(int pid); // running, not a zombie
  // The /sys/fs/cgroup/<hierarchy>/berth/<id> directories that exist.
  static std::vector<std::filesystem::path> cgroup_dirs(const std::string &id);
  // The names under /sys/fs/cgroup/memory/berth/.
  static std::set<std::string> memory_cgroups();
  // Mount points under prefix, from /proc/self/mountinfo, outermost first.
  static std::vector<std::string> mounts_under(const std::filesystem::path &prefix);
  // Lines of text, without their newlines.
  static std::vector<std::string> lines(const std::string &text);

  static std::string suite_skip_;

private:
  void remove_everything();

  static std::unique_ptr<TempDir> image_dir_;
  static std::filesystem::path image_tar_;

  std::unique_ptr<TempDir> tmp_;
  std::filesystem::path root_;
  std::set<std::string> tracked_;
};

} // namespace berth::testing
