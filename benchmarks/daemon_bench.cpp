// berthd engine against the engine it fronts and against podman's Docker
// service, timed side by side in every round with the same docker CLI:
//   docker run --rm --network none IMAGE /bin/true  through berthd engine
//   berth run --rm --network none IMAGE /bin/true    (the same engine, no daemon)
//   docker run ...                                   through podman system service
//   docker ps with 100 containers, and its GET /containers/json alone
// Wall time only: the daemons' own CPU is outside the command's cgroup.
// Medians over the rounds. Needs Debian's docker.io (its CLI; dockerd is
// never started) and podman.
#include "support/scratch_engine.hpp"
#include "support/stats.hpp"

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <thread>

namespace {

namespace fs = std::filesystem;
using berth::benchmarks::median;
using berth::benchmarks::ScratchEngine;

constexpr int kRounds = 15;
constexpr int kListed = 100;
constexpr const char *kDocker = "/usr/bin/docker";

bool answers(const fs::path &socket) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
  const bool up = ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
  ::close(fd);
  return up;
}

// A daemon of the benchmark's own, stopped by pid when it goes away.
class Daemon {
public:
  Daemon(std::vector<std::string> argv, fs::path socket) : socket_(std::move(socket)) {
    std::vector<char *> pointers;
    pointers.reserve(argv.size() + 1);
    for (auto &arg : argv) {
      pointers.push_back(arg.data());
    }
    pointers.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execvp(pointers.front(), pointers.data());
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !answers(socket_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Daemon(const Daemon &) = delete;
  Daemon &operator=(const Daemon &) = delete;
  Daemon(Daemon &&) = delete;
  Daemon &operator=(Daemon &&) = delete;

  [[nodiscard]] bool up() const { return answers(socket_); }
  // The whole response to GET path, head and body (HTTP/1.0: read to EOF).
  [[nodiscard]] std::string get(const std::string &path) const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_.c_str(), sizeof address.sun_path - 1);
    std::string response;
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0) {
      const auto request = "GET " + path + " HTTP/1.0\r\nHost: berth\r\n\r\n";
      if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
        char buffer[65536];
        ssize_t n = 0;
        while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
          response.append(buffer, static_cast<std::size_t>(n));
        }
      }
    }
    ::close(fd);
    return response;
  }
  // args as a docker CLI command against this daemon.
  [[nodiscard]] std::vector<std::string> docker(const std::vector<std::string> &args) const {
    std::vector<std::string> argv{"env", "DOCKER_HOST=unix://" + socket_.string(),
                                  "DOCKER_CONFIG=" + (socket_.parent_path() / "docker").string(),
                                  kDocker};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

private:
  fs::path socket_;
  pid_t pid_ = -1;
};

struct Setup {
  Setup() {
    if (::access(kDocker, X_OK) != 0 || ::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return;
    }
    engine = std::make_unique<ScratchEngine>("daemon");
    if (!engine->ok() || !engine->make_image(engine->dir() / "image", {"true", "sleep"})) {
      return;
    }
    berthd = std::make_unique<Daemon>(
        std::vector<std::string>{BERTHD_EXECUTABLE, "engine", "--root", engine->root().string(),
                                 "-H", "unix://" + (engine->dir() / "berthd.sock").string(),
                                 "--group", "root"},
        engine->dir() / "berthd.sock");
    if (engine->load_podman()) {
      auto argv = engine->podman(
          {"system", "service", "--time=0", "unix://" + (engine->dir() / "podman.sock").string()});
      podman = std::make_unique<Daemon>(argv, engine->dir() / "podman.sock");
    }
  }
  std::unique_ptr<ScratchEngine> engine;
  std::unique_ptr<Daemon> berthd;
  std::unique_ptr<Daemon> podman;
};

Setup &setup() {
  static Setup instance;
  return instance;
}

void BM_DockerRunThroughBerthd(benchmark::State &state) {
  auto &s = setup();
  if (!s.berthd || !s.berthd->up()) {
    state.SkipWithError("set-up failed (needs root, docker.io's CLI and busybox-static)");
    return;
  }
  // podman's runc cannot raise the limits of its own start-up process on
  // this host beyond these (as in runtime_bench); every row sets the same.
  const std::vector<std::string> run{"run",          "--rm",
                                     "--network",    "none",
                                     "--ulimit",     "nofile=20000:20000",
                                     "--ulimit",     "nproc=32768:32768",
                                     "bench:latest", "/bin/true"};
  std::map<std::string, std::vector<std::string>> commands = {{"berthd", s.berthd->docker(run)},
                                                              {"berth", s.engine->berth(run)}};
  if (s.podman && s.podman->up()) {
    commands["podman_service"] = s.podman->docker(run);
  }
  std::map<std::string, std::vector<double>> wall;
  for (auto _ : state) {
    for (int round = 0; round < kRounds; ++round) {
      for (const auto &[name, args] : commands) {
        const auto sample = s.engine->run(args);
        if (sample.status != 0) {
          state.SkipWithError((name + " failed: " + sample.error).c_str());
          return;
        }
        wall[name].push_back(sample.wall_ms);
      }
    }
  }
  for (const auto &[name, samples] : wall) {
    state.counters[name + "_ms"] = median(samples);
  }
  state.counters["berthd_vs_berth"] = median(wall["berthd"]) / median(wall["berth"]);
  if (wall.count("podman_service") != 0U) {
    state.counters["berthd_vs_podman_service"] =
        median(wall["berthd"]) / median(wall["podman_service"]);
  }
}
BENCHMARK(BM_DockerRunThroughBerthd)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// `docker ps` with 100 running containers.
void BM_DockerPsHundredContainers(benchmark::State &state) {
  auto &s = setup();
  if (!s.berthd || !s.berthd->up()) {
    state.SkipWithError("set-up failed");
    return;
  }
  std::vector<std::string> ids;
  for (int i = 0; i < kListed; ++i) {
    const auto started = s.engine->run(
        s.engine->berth({"run", "-d", "--network", "none", "bench:latest", "sleep", "600"}));
    if (started.status != 0) {
      state.SkipWithError(("berth run -d failed: " + started.error).c_str());
      return;
    }
    ids.push_back(berth::benchmarks::first_line(started.output));
  }
  std::vector<double> cli;
  std::vector<double> api;
  for (auto _ : state) {
    for (int round = 0; round < kRounds; ++round) {
      cli.push_back(s.engine->run(s.berthd->docker({"ps"})).wall_ms);
      const auto start = std::chrono::steady_clock::now();
      const auto listed = s.berthd->get("/v1.41/containers/json");
      api.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      if (std::count(listed.begin(), listed.end(), '{') < kListed) {
        state.SkipWithError("GET /containers/json did not list every container");
        return;
      }
    }
  }
  state.counters["docker_ps_ms"] = median(cli);
  state.counters["containers_json_ms"] = median(api);
  std::vector<std::string> remove{"rm", "-f"};
  remove.insert(remove.end(), ids.begin(), ids.end());
  (void)s.engine->run(s.engine->berth(remove));
}
BENCHMARK(BM_DockerPsHundredContainers)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

} // namespace
