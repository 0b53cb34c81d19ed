#include "bench/runtime_suite.hpp"
#include "bench/cli_runs.hpp"

#include "bench/bench_support.hpp"
#include "container/seccomp_profile.hpp"
#include "container/spec_builder.hpp"
#include "plugin/host_services.hpp"

#include <berth/sdk/runtime.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace berth::bench {
namespace {

namespace fs = std::filesystem;

const std::vector<Workload> &runtime_workloads() {
  static const std::vector<Workload> workloads = {
      {"start_true", "create + start + wait + delete of /bin/true", "ms", Better::lower},
      {"start_true_cpu", "CPU time of the same (berth and its children)", "ms", Better::lower},
      {"run_rm_cli", "`berth run --rm --network none` of /bin/true: the whole command", "ms",
       Better::lower},
      {"concurrent", "containers started at once, each /bin/true", "containers/s", Better::higher},
  };
  return workloads;
}

// Every container of this run lives under one parent cgroup, so that a
// run killed outright can be cleaned up by the next one.
constexpr const char *kCgroupPrefix = "/berth/bench-";

std::string cgroup_parent() {
  return kCgroupPrefix + std::to_string(::getpid());
}

std::vector<fs::path> cgroup_mounts() {
  std::vector<fs::path> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto dash = line.find(" - ");
    std::istringstream before(line.substr(0, dash));
    std::istringstream after(dash == std::string::npos ? "" : line.substr(dash + 3));
    std::string id, parent, device, root, point, type;
    before >> id >> parent >> device >> root >> point;
    after >> type;
    if (type == "cgroup" || type == "cgroup2") {
      mounts.emplace_back(point);
    }
  }
  return mounts;
}

// The empty cgroups runs that died left (their containers exited with them).
void remove_dead_runs_cgroups() {
  const auto prefix = fs::path(kCgroupPrefix).filename().string();
  for (const auto &mount : cgroup_mounts()) {
    std::error_code ec;
    for (const auto &run : fs::directory_iterator(mount / "berth", ec)) {
      const auto name = run.path().filename().string();
      if (!name.starts_with(prefix) || !process_gone(std::atoi(name.c_str() + prefix.size()))) {
        continue;
      }
      for (const auto &container : fs::directory_iterator(run.path(), ec)) {
        if (container.is_directory(ec)) {
          ::rmdir(container.path().c_str());
        }
      }
      ::rmdir(run.path().c_str());
    }
  }
}

// A busybox root filesystem every container shares, read-only.
sdk::Result<fs::path> make_rootfs(const fs::path &scratch) {
  const fs::path busybox = "/bin/busybox";
  if (!fs::exists(busybox)) {
    return sdk::make_error(sdk::Errc::unavailable,
                           "the runtime benchmark runs busybox; apt-get install busybox-static",
                           busybox.string());
  }
  const auto rootfs = scratch / "runtime-rootfs";
  for (const char *dir : {"bin", "dev", "etc", "proc", "sys", "tmp"}) {
    fs::create_directories(rootfs / dir);
  }
  fs::copy_file(busybox, rootfs / "bin" / "busybox");
  for (const char *applet : {"true", "sh"}) {
    fs::create_symlink("busybox", rootfs / "bin" / applet);
  }
  std::ofstream(rootfs / "etc" / "passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  return rootfs;
}

// The spec `berth run --rm --network none --read-only IMAGE /bin/true` gets,
// Docker's default seccomp profile and capabilities included.
sdk::Result<nlohmann::json> true_spec(const fs::path &scratch, const fs::path &rootfs) {
  SpecInputs in;
  in.id = "bench";
  in.config.cmd = {"/bin/true"};
  in.config.read_only = true;
  in.image_config = {
      {"config", {{"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}}}};
  in.rootfs = rootfs;
  in.hostname = "bench";
  in.hostname_file = scratch / "hostname";
  in.hosts_file = scratch / "hosts";
  in.resolv_file = scratch / "resolv.conf";
  std::ofstream(in.hostname_file) << "bench\n";
  std::ofstream(in.hosts_file) << "127.0.0.1\tlocalhost\n";
  std::ofstream(in.resolv_file) << "";
  in.seccomp = default_seccomp_profile(effective_capabilities(in.config));
  return build_spec(in);
}

double cpu_ms() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage usage{};
    ::getrusage(who, &usage);
    total += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  }
  return total;
}

// One backend instance and the containers it has alive, so that a failure
// or Ctrl-C never leaves one behind.
class Runner {
public:
  Runner(std::shared_ptr<sdk::IsolationBackend> backend, nlohmann::json spec, fs::path bundles,
         std::string prefix)
      : backend_(std::move(backend)), spec_(std::move(spec)), bundles_(std::move(bundles)),
        prefix_(std::move(prefix)) {}
  ~Runner() {
    const std::scoped_lock lock(mutex_);
    for (const auto &id : live_) {
      (void)backend_->kill(id, SIGKILL, true);
      (void)backend_->remove(id);
    }
  }
  Runner(const Runner &) = delete;
  Runner &operator=(const Runner &) = delete;
  Runner(Runner &&) = delete;
  Runner &operator=(Runner &&) = delete;

  struct Container {
    std::string id;
    nlohmann::json spec;
  };

  // A bundle of its own per container, written before any timing starts.
  Container prepare() {
    Container made{prefix_ + "-" + std::to_string(next_++), spec_};
    made.spec["linux"]["cgroupsPath"] = cgroup_parent() + "/" + made.id;
    fs::create_directories(bundles_ / made.id);
    std::ofstream(bundles_ / made.id / "config.json") << made.spec.dump();
    return made;
  }

  // create + start + wait + delete; the exit status must be 0.
  sdk::Result<void> run(const Container &container) {
    const auto &id = container.id;
    const auto &spec = container.spec;
    const auto bundle = bundles_ / id;
    sdk::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    sdk::ProcessIo io;
    io.stdout_fd = io.stderr_fd = null.get();
    track(id, true);
    auto created = backend_->create(id, bundle.string(), spec, io);
    if (!created.ok()) {
      (void)backend_->remove(id);
      track(id, false);
      return std::move(created).error();
    }
    if (auto started = backend_->start(id); !started.ok()) {
      return std::move(started).error();
    }
    int status = 0;
    if (::waitpid(created->pid, &status, 0) < 0) {
      return sdk::errno_error("waitpid", id);
    }
    if (auto removed = backend_->remove(id); !removed.ok()) {
      return std::move(removed).error();
    }
    track(id, false);
    std::error_code ec;
    fs::remove_all(bundle, ec);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      const auto how = WIFEXITED(status)
                           ? "exited with " + std::to_string(WEXITSTATUS(status))
                           : "was killed by signal " + std::to_string(WTERMSIG(status));
      return sdk::make_error(
          sdk::Errc::io, "/bin/true " + how + "; run it with `berth run --runtime` to see why", id);
    }
    return {};
  }

private:
  void track(const std::string &id, bool alive) {
    const std::scoped_lock lock(mutex_);
    if (alive) {
      live_.insert(id);
    } else {
      live_.erase(id);
    }
  }

  std::shared_ptr<sdk::IsolationBackend> backend_;
  nlohmann::json spec_;
  fs::path bundles_;
  std::string prefix_;
  std::atomic<int> next_{0};
  std::mutex mutex_;
  std::set<std::string> live_;
};

// Every container started at the same moment from its own thread.
sdk::Result<double> concurrent_round(Runner &runner, int containers) {
  std::vector<Runner::Container> ids;
  ids.reserve(static_cast<std::size_t>(containers));
  for (int i = 0; i < containers; ++i) {
    ids.push_back(runner.prepare());
  }
  std::vector<std::optional<sdk::Error>> errors(ids.size());
  const auto start = Clock::now();
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        // An exception must not leave a thread: it would end berth uncleaned.
        try {
          if (auto done = runner.run(ids[i]); !done.ok()) {
            errors[i] = done.error();
          }
        } catch (const std::exception &e) {
          errors[i] = sdk::make_error(sdk::Errc::io, e.what(), ids[i].id);
        }
      });
    }
  }
  const double seconds = ms_since(start) / 1e3;
  for (const auto &error : errors) {
    if (error) {
      return *error;
    }
  }
  return static_cast<double>(containers) / seconds;
}

std::optional<std::string> measure_backend(SuiteRun &run, const BenchSubject &subject,
                                           const nlohmann::json &spec, std::uint64_t &step,
                                           std::uint64_t total) {
  const auto root = run.scratch / ("runtime-" + subject.key);
  fs::create_directories(root);
  auto host = std::make_shared<CoreHostServices>(subject.plugin, root);
  auto backend = run.registry.create<sdk::IsolationBackend>(subject.plugin, subject.options, host);
  if (!backend.ok()) {
    return backend.error().describe();
  }
  Runner runner(std::move(backend).value(), spec, root / "bundles",
                "bench-" + std::to_string(::getpid()) + "-" + subject.key);
  for (int round = 0; round < run.request.repeat && !interrupted(); ++round) {
    report_progress(run.progress, subject.name + ": /bin/true " + std::to_string(round + 1), ++step,
                    total);
    const auto id = runner.prepare();
    const auto cpu_before = cpu_ms();
    const auto start = Clock::now();
    if (auto done = runner.run(id); !done.ok()) {
      fail(run.report, "start_true", subject.name, done.error().describe());
      return "start_true: " + done.error().describe();
    }
    add_sample(run.report, "start_true", subject.name, ms_since(start));
    add_sample(run.report, "start_true_cpu", subject.name, cpu_ms() - cpu_before);
  }
  for (int round = 0; round < run.request.repeat && !interrupted(); ++round) {
    report_progress(run.progress,
                    subject.name + ": " + std::to_string(run.request.containers) + " at once",
                    ++step, total);
    auto rate = concurrent_round(runner, run.request.containers);
    if (!rate.ok()) {
      fail(run.report, "concurrent", subject.name, rate.error().describe());
      return "concurrent: " + rate.error().describe();
    }
    add_sample(run.report, "concurrent", subject.name, *rate);
  }
  return std::nullopt;
}

// The same start through the whole command; a command that cannot be run
// here leaves the workload unsupported, not the backend failed.
void measure_cli(SuiteRun &run, const BenchSubject &subject, const sdk::Result<CliRuns> &cli,
                 std::uint64_t &step, std::uint64_t total) {
  if (!cli.ok()) {
    measurement_of(run.report, "run_rm_cli", subject.name).unsupported = cli.error().describe();
    return;
  }
  for (int round = 0; round < run.request.repeat && !interrupted(); ++round) {
    report_progress(run.progress, subject.name + ": berth run --rm " + std::to_string(round + 1),
                    ++step, total);
    auto took = cli->run_once(subject);
    if (!took.ok()) {
      fail(run.report, "run_rm_cli", subject.name, took.error().describe());
      return;
    }
    add_sample(run.report, "run_rm_cli", subject.name, *took);
    // Its berth-shim, detached, was reparented to us (a subreaper): reap it.
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}

} // namespace

void run_runtime_suite(SuiteRun &run, const std::vector<BenchSubject> &subjects) {
  run.report.workloads = runtime_workloads();
  // Containers an OCI runtime starts are reparented to us, so we can wait.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  remove_dead_runs_cgroups();
  auto rootfs = make_rootfs(run.scratch);
  auto spec = rootfs.ok() ? true_spec(run.scratch, *rootfs)
                          : sdk::Result<nlohmann::json>(rootfs.error());
  const auto cli = rootfs.ok() ? CliRuns::prepare(run.request.cli, run.scratch, *rootfs)
                               : sdk::Result<CliRuns>(rootfs.error());
  const auto total = static_cast<std::uint64_t>(subjects.size()) *
                     static_cast<std::uint64_t>(3 * run.request.repeat);
  std::uint64_t step = 0;
  for (const auto &subject : subjects) {
    if (interrupted()) {
      break;
    }
    std::optional<std::string> failed;
    try {
      failed = spec.ok() ? measure_backend(run, subject, *spec, step, total)
                         : std::optional<std::string>(spec.error().describe());
    } catch (const std::exception &e) {
      failed = e.what();
    }
    if (failed) {
      fail_subject(run.report, subject.name, *failed);
    } else {
      measure_cli(run, subject, cli, step, total);
    }
  }
}

} // namespace berth::bench
