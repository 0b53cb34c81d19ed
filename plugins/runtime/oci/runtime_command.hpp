// Running the OCI runtime binary: fork and exec with no shell, the child's
// stdio either handed over from a ProcessIo or captured, a time limit, and
// the child always reaped before returning.
#pragma once

#include <berth/sdk/result.hpp>
#include <berth/sdk/runtime.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::runtime {

struct CommandOutput {
  int status = 0; // the exit code, or 128 + the signal that killed it
  std::string out;
  std::string err;
};

// Runs argv (argv[0] an absolute path) and waits for it. With io, its stdin,
// stdout and stderr are io's fds (-1: /dev/null), which is how runc and crun
// pass non-terminal stdio on to a container, and nothing is captured.
// Without, stdin is /dev/null and stdout and stderr are captured. A nonzero
// exit is not an error here; a failure to run or a timeout is.
sdk::Result<CommandOutput> run_command(const std::vector<std::string> &argv,
                                       const sdk::ProcessIo *io);

// A private temporary directory for one runtime command (its log, pid file
// and process.json), so concurrent commands never share a file. Removed with
// its contents when the object goes.
class ScratchDir {
public:
  static sdk::Result<ScratchDir> make(const std::filesystem::path &parent);
  ScratchDir(ScratchDir &&other) noexcept;
  ScratchDir &operator=(ScratchDir &&) = delete;
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  ~ScratchDir();

  [[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }

private:
  explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

} // namespace berth::runtime
