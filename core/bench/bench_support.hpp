// What every suite of `berth bench` shares: the private namespaces it runs
// in, its scratch directory, the machine's facts and the bookkeeping of
// samples.
#pragma once

#include "bench/bench_report.hpp"

#include <berth/sdk/result.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace berth::bench {

// Moves this process into private mount and network namespaces, so that
// whatever a benchmark mounts, bridges or NATs is gone with the process,
// even after a SIGKILL, and never touches the host's. (Cgroups are the
// host's: the runtime suite removes its own, and those of dead runs.) Must
// run before the process starts threads.
sdk::Result<void> enter_private_namespaces();
// A new network namespace, loopback up, for the calling thread and the
// threads it starts: each network subject is measured in one of its own,
// so that what one driver made (a bridge, its rules) cannot meet the next,
// not even the same plugin under other options.
sdk::Result<void> enter_fresh_network_namespace();

// A directory of this run under parent ("berth-bench-PID-XXXXXX"), emptied
// and removed on destruction, mounts under it first. Making one removes what
// runs that died (their PID is gone) left there.
class ScratchDir {
public:
  static sdk::Result<ScratchDir> make(const std::filesystem::path &parent);
  ~ScratchDir();
  ScratchDir(ScratchDir &&other) noexcept;
  ScratchDir &operator=(ScratchDir &&) = delete;
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;

  [[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }

private:
  explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Detaches every mount at or under dir, deepest first.
void unmount_under(const std::filesystem::path &dir);
// Unmounts what is under dir, then removes it; errors ignored (clean-up).
void remove_tree(const std::filesystem::path &dir);

MachineFacts probe_machine(const std::filesystem::path &scratch, const std::string &berth_version);

// Ctrl-C was pressed: stop after the current step and clean up.
bool interrupted() noexcept;
// Whether the process pid is gone (a run that died).
bool process_gone(int pid) noexcept;

// Calls progress when there is one.
void report_progress(
    const std::function<void(const std::string &, std::uint64_t, std::uint64_t)> &progress,
    const std::string &label, std::uint64_t done, std::uint64_t total);

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start);
// Bytes per second as MiB/s.
double mib_per_s(std::uint64_t bytes, Clock::time_point start);

// The measurement of workload on subject, made empty on first use.
Measurement &measurement_of(Report &report, const std::string &workload,
                            const std::string &subject);
void add_sample(Report &report, const std::string &workload, const std::string &subject,
                double value);
// Records a failure of workload on subject, unless one is recorded already;
// the samples of the rounds before go (a cell is measured or failed).
void fail(Report &report, const std::string &workload, const std::string &subject,
          const std::string &error);
// Marks subject failed with reason (the first reason stays).
void fail_subject(Report &report, const std::string &subject, const std::string &reason);

} // namespace berth::bench
