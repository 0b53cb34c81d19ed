// Container start figures, timed side by side in every round:
//   berth run --rm --network none IMAGE /bin/true  (namespaces backend)
//   the same with --runtime crun                    (oci backend; engine cost around crun)
//   crun run of a prepared bundle                   (bare OCI runtime)
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

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

constexpr int kRounds = 15;
constexpr int kSequential = 100;

struct Sample {
  double wall_ms = 0;
  double cpu_ms = 0;
  int status = -1;
};

std::uint64_t read_number(const fs::path &file) {
  std::ifstream in(file);
  std::uint64_t value = 0;
  in >> value;
  return value;
}

using berth::testing::hugetlb_on_v1;

// A scratch engine root, image, bundle and podman store, in a private mount
// namespace of the benchmark's own.
class Bench {
public:
  Bench() {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return;
    }
    std::string pattern = "/var/tmp/berth-runtime-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return;
    }
    dir_ = pattern;
    cgroup_ = fs::path("/sys/fs/cgroup/cpuacct") / ("berth-bench-" + std::to_string(::getpid()));
    fs::create_directories(cgroup_);
    ok_ = make_rootfs() && import_image() && make_bundle();
    crun_ = hugetlb_on_v1() && run({"crun", "--version"}).status == 0;
    podman_parents_before_ = podman_parents();
    podman_ = ::access("/usr/bin/podman", X_OK) == 0 && load_podman();
  }
  ~Bench() {
    run(berth({"container", "prune"}));
    if (podman_) {
      run(podman({"rmi", "-af"}));
      remove_podman_parents();
    }
    std::error_code ec;
    for (int tries = 0; tries < 100 && ::rmdir(cgroup_.c_str()) != 0 && errno == EBUSY; ++tries) {
      ::usleep(10000);
    }
    fs::remove_all(dir_, ec);
  }
  Bench(const Bench &) = delete;
  Bench &operator=(const Bench &) = delete;
  Bench(Bench &&) = delete;
  Bench &operator=(Bench &&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool crun() const { return crun_; }
  [[nodiscard]] bool podman_available() const { return podman_; }

  // Runs args in the bench's cpuacct cgroup; waits for it.
  Sample run(const std::vector<std::string> &args) {
    const auto cpu_before = read_number(cgroup_ / "cpuacct.usage");
    const auto start = std::chrono::steady_clock::now();
    const int pid = ::fork();
    if (pid == 0) {
      std::ofstream(cgroup_ / "cgroup.procs") << ::getpid() << std::flush;
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<char *> argv;
      for (const auto &arg : args) {
        argv.push_back(const_cast<char *>(arg.c_str()));
      }
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    Sample sample;
    ::waitpid(pid, &sample.status, 0);
    sample.wall_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    sample.cpu_ms = static_cast<double>(read_number(cgroup_ / "cpuacct.usage") - cpu_before) / 1e6;
    return sample;
  }

  std::vector<std::string> berth(std::vector<std::string> args) const {
    args.insert(args.begin(), {BERTH_EXECUTABLE, "--root", (dir_ / "root").string()});
    return args;
  }
  std::vector<std::string> podman(std::vector<std::string> args) const {
    args.insert(args.begin(), {"podman", "--root", (dir_ / "podman").string(), "--runroot",
                               (dir_ / "podman-run").string(), "--cgroup-manager=cgroupfs",
                               "--events-backend=file", "--storage-driver=overlay"});
    if (!crun_) {
      args.insert(args.begin() + 9, "--runtime=runc");
    }
    return args;
  }
  std::vector<std::string> bare_crun() const {
    return {"crun",
            "--root",
            (dir_ / "crun-state").string(),
            "run",
            "--bundle",
            (dir_ / "bundle").string(),
            "bench-" + std::to_string(::getpid())};
  }
  std::vector<std::string> floor() const {
    return {"unshare",  "--mount", "--uts",
            "--ipc",    "--net",   "--pid",
            "--fork",   "chroot",  (dir_ / "bundle" / "rootfs").string(),
            "/bin/true"};
  }

private:
  bool make_rootfs() {
    const auto root = dir_ / "bundle" / "rootfs";
    fs::create_directories(root / "bin");
    fs::create_directories(root / "etc");
    fs::copy_file("/bin/busybox", root / "bin" / "busybox");
    for (const char *tool : {"true", "sh"}) {
      fs::create_symlink("busybox", root / "bin" / tool);
    }
    std::ofstream(root / "etc" / "passwd") << "root:x:0:0:root:/root:/bin/sh\n";
    return run({"tar", "-C", root.string(), "-cf", (dir_ / "rootfs.tar").string(), "."}).status ==
           0;
  }
  bool import_image() {
    return run(berth({"import", (dir_ / "rootfs.tar").string(), "bench:latest"})).status == 0;
  }
  bool make_bundle() {
    const auto bundle = dir_ / "bundle";
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
    std::ofstream(bundle / "config.json") << spec.dump(2);
    return true;
  }
  // podman with cgroupfs leaves libpod_parent/conmon in every hierarchy;
  // in those that had none before, this run removes them (rmdir: only
  // while empty; conmon outlives `podman run --rm` by a moment).
  static std::vector<fs::path> podman_parents() {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto &hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      if (fs::exists(hierarchy.path() / "libpod_parent")) {
        found.push_back(hierarchy.path() / "libpod_parent");
      }
    }
    return found;
  }
  void remove_podman_parents() const {
    for (int tries = 0; tries < 100; ++tries) {
      bool left = false;
      for (const auto &parent : podman_parents()) {
        if (std::find(podman_parents_before_.begin(), podman_parents_before_.end(), parent) ==
            podman_parents_before_.end()) {
          ::rmdir((parent / "conmon").c_str());
          left = ::rmdir(parent.c_str()) != 0 || left;
        }
      }
      if (!left) {
        return;
      }
      ::usleep(20000);
    }
  }

  bool load_podman() {
    const auto archive = (dir_ / "image.tar").string();
    return run(berth({"save", "-o", archive, "bench:latest"})).status == 0 &&
           run(podman({"load", "-i", archive})).status == 0;
  }

  fs::path dir_;
  fs::path cgroup_;
  bool ok_ = false;
  bool crun_ = false;
  bool podman_ = false;
  std::vector<fs::path> podman_parents_before_;
};

Bench &bench() {
  static Bench instance;
  return instance;
}

double median(std::vector<double> values) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
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
    commands["crun"] = b.bare_crun();
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
