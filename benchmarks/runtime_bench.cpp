// Container start figures, timed side by side in every round:
//   berth run --rm --network none IMAGE /bin/true  (namespaces backend)
//   the same with --runtime crun                    (oci backend; engine cost around crun)
//   crun run and runc run of a prepared bundle      (bare OCI runtimes)
//   unshare + chroot with fresh namespaces          (the floor)
//   podman run --rm --network=none                  (the peer users compare with)
// Wall time per command, and CPU time of everything the command started
// except the container itself (every command runs in a cpuacct cgroup of
// its own; a container moves to its own cgroup). Medians over the rounds.
//
// crun 1.8.1 needs the hugetlb controller on a v1 hierarchy on this hybrid
// host: benchmarks/peers/runtime_start.sh binds it in a private mount
// namespace and runs this; without it the crun rows are left out.
#include "support/host_tools.hpp"
#include "support/scratch_engine.hpp"
#include "support/stats.hpp"

#include <benchmark/benchmark.h>

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

constexpr int kRounds = 15;
constexpr int kSequential = 100;

using berth::benchmarks::median;
using berth::benchmarks::ScratchEngine;
using berth::testing::hugetlb_on_v1;

// The scratch engine and a bundle for bare crun, in a private mount
// namespace of the benchmark's own.
class Bench {
public:
  Bench() {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return;
    }
    engine_ = std::make_unique<ScratchEngine>("runtime");
    ok_ =
        engine_->ok() && engine_->make_image(bundle() / "rootfs", {"true", "sh"}) && make_bundle();
    crun_ = hugetlb_on_v1() && engine_->run({"crun", "--version"}).status == 0;
    podman_ = engine_->load_podman();
    runc_ = engine_->run({"runc", "--version"}).status == 0;
  }

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool crun() const { return crun_; }
  [[nodiscard]] bool podman_available() const { return podman_; }
  [[nodiscard]] bool runc() const { return runc_; }

  berth::benchmarks::Sample run(const std::vector<std::string> &args) { return engine_->run(args); }
  [[nodiscard]] std::vector<std::string> berth(std::vector<std::string> args) const {
    return engine_->berth(std::move(args));
  }
  [[nodiscard]] std::vector<std::string> podman(std::vector<std::string> args) const {
    return engine_->podman(std::move(args));
  }
  // The same bundle under crun or runc, run to completion as `run` does.
  [[nodiscard]] std::vector<std::string> bare(const std::string &runtime) const {
    return {runtime,
            "--root",
            (engine_->dir() / (runtime + "-state")).string(),
            "run",
            "--bundle",
            bundle().string(),
            "bench-" + std::to_string(::getpid())};
  }
  [[nodiscard]] std::vector<std::string> floor() const {
    return {"unshare",  "--mount", "--uts",
            "--ipc",    "--net",   "--pid",
            "--fork",   "chroot",  (bundle() / "rootfs").string(),
            "/bin/true"};
  }

private:
  [[nodiscard]] fs::path bundle() const { return engine_->dir() / "bundle"; }

  bool make_bundle() const {
    nlohmann::json spec = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"/bin/true"}},
          {"env", {"PATH=/bin"}},
          {"cwd", "/"},
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "bench"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}}}},
        {"linux",
         {{"namespaces",
           {{{"type", "pid"}},
            {{"type", "network"}},
            {{"type", "ipc"}},
            {{"type", "uts"}},
            {{"type", "mount"}}}}}}};
    std::ofstream(bundle() / "config.json") << spec.dump(2);
    return true;
  }

  std::unique_ptr<ScratchEngine> engine_;
  bool ok_ = false;
  bool crun_ = false;
  bool podman_ = false;
  bool runc_ = false;
};

Bench &bench() {
  static Bench instance;
  return instance;
}

void BM_RuntimeStartVsPeers(benchmark::State &state) {
  auto &b = bench();
  if (!b.ok()) {
    state.SkipWithError("set-up failed (needs root, busybox-static and a cpuacct cgroup)");
    return;
  }
  std::map<std::string, std::vector<std::string>> commands = {
      {"berth", b.berth({"run", "--rm", "--network", "none", "bench:latest", "/bin/true"})},
      {"floor", b.floor()},
  };
  if (b.crun()) {
    commands["berth_crun"] = b.berth(
        {"run", "--rm", "--network", "none", "--runtime", "crun", "bench:latest", "/bin/true"});
    commands["crun"] = b.bare("crun");
  }
  if (b.runc()) {
    commands["runc"] = b.bare("runc");
  }
  if (b.podman_available()) {
    commands["podman"] = b.podman({"run", "--rm", "--network=none", "--ulimit=nofile=20000:20000",
                                   "--ulimit=nproc=32768:32768", "bench:latest", "/bin/true"});
  }
  std::map<std::string, std::vector<double>> wall;
  std::map<std::string, std::vector<double>> cpu;
  for (auto _ : state) {
    for (int round = 0; round < kRounds; ++round) {
      for (const auto &[name, args] : commands) {
        const auto sample = b.run(args);
        if (sample.status != 0) {
          state.SkipWithError((name + " failed").c_str());
          return;
        }
        wall[name].push_back(sample.wall_ms);
        cpu[name].push_back(sample.cpu_ms);
      }
    }
  }
  for (const auto &[name, samples] : wall) {
    state.counters[name + "_ms"] = median(samples);
    state.counters[name + "_cpu_ms"] = median(cpu[name]);
  }
  if (wall.count("podman") != 0U) {
    state.counters["berth_vs_podman"] = median(wall["berth"]) / median(wall["podman"]);
  }
  if (wall.count("crun") != 0U) {
    state.counters["berth_vs_crun"] = median(wall["berth"]) / median(wall["crun"]);
    state.counters["berth_crun_vs_crun"] = median(wall["berth_crun"]) / median(wall["crun"]);
  }
  if (wall.count("runc") != 0U) {
    state.counters["berth_vs_runc"] = median(wall["berth"]) / median(wall["runc"]);
  }
}
BENCHMARK(BM_RuntimeStartVsPeers)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// 100 containers one after another: containers per second.
void BM_RuntimeSequential(benchmark::State &state) {
  auto &b = bench();
  if (!b.ok()) {
    state.SkipWithError("set-up failed");
    return;
  }
  const auto args = b.berth({"run", "--rm", "--network", "none", "bench:latest", "/bin/true"});
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kSequential; ++i) {
      if (b.run(args).status != 0) {
        state.SkipWithError("berth run failed");
        return;
      }
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  state.counters["containers_per_s"] = kSequential / seconds;
}
BENCHMARK(BM_RuntimeSequential)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace
