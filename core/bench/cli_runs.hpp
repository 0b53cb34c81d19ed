// The runtime suite's whole-command figure: `berth run --rm` as a user
// types it, process starts, stack, SQLite, berth-shim and all, beside the
// in-process create + start + wait + delete.
#pragma once

#include "bench/bench_request.hpp"

#include <berth/sdk/result.hpp>

#include <filesystem>

namespace berth::bench {

// A scratch engine for the command: its own root holding a busybox image.
class CliRuns {
public:
  // Imports rootfs (a directory) as an image into a root under scratch,
  // through the berth command itself.
  static sdk::Result<CliRuns> prepare(const std::filesystem::path &cli,
                                      const std::filesystem::path &scratch,
                                      const std::filesystem::path &rootfs);

  // One `berth run --rm --network none IMAGE /bin/true` with subject as the
  // default runtime backend: its wall time in milliseconds.
  [[nodiscard]] sdk::Result<double> run_once(const BenchSubject &subject) const;

private:
  CliRuns(std::filesystem::path cli, std::filesystem::path scratch)
      : cli_(std::move(cli)), scratch_(std::move(scratch)) {}
  [[nodiscard]] sdk::Result<std::filesystem::path> stack_for(const BenchSubject &subject) const;

  std::filesystem::path cli_;
  std::filesystem::path scratch_; // root/, output, one stack file per subject
};

} // namespace berth::bench
