// Network figures (issue 5), beside podman's where they compare:
//   BM_NetworkStartVsPodman         berth and podman `run --rm IMAGE /bin/true` on their
//                                   default bridge and with --network none, interleaved;
//                                   bridge minus none is what attaching and detaching an
//                                   endpoint adds to a container start.
//   BM_NetworkEndpointAttachDetach  NetworkService::setup + teardown in process: the
//                                   namespace and endpoint alone, no process start.
//   BM_NetworkTcpRoundTrip          1-byte TCP ping-pong between two containers on one user
//                                   network (netns → veth → bridge → veth → netns) against
//                                   two threads over loopback.
// Throughput (iperf3) is measured by benchmarks/peers/network.sh.
//
// The whole process runs in a private network and mount namespace made at
// start: berth's bridges, podman's CNI bridge and both engines' NAT rules land
// there and go away with the process. The host's namespace is never touched.
#include "bench/traffic.hpp"
#include "engine/engine.hpp"
#include "support/host_tools.hpp"
#include "support/scratch_engine.hpp"
#include "support/stats.hpp"
#include "util/fd.hpp"
#include "util/text.hpp"

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using berth::UniqueFd;
using berth::benchmarks::differences;
using berth::benchmarks::first_line;
using berth::benchmarks::median;
using berth::benchmarks::percentile;
using berth::benchmarks::Sample;
using berth::benchmarks::ScratchEngine;
using Clock = std::chrono::steady_clock;

constexpr int kRounds = 15;
constexpr int kEndpointIterations = 300;
// The round trips of each path come in blocks that alternate between the
// paths, so that a drift in machine load hits both alike.
constexpr int kRoundTripBlocks = 4;
constexpr double kRoundTripBlockSeconds = 0.5;

double process_cpu_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// A new network namespace has its loopback down.
bool loopback_up() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (!sock.valid() || ::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0) {
    return false;
  }
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  return ::ioctl(sock.get(), SIOCSIFFLAGS, &request) == 0;
}

// A tmpfs over a host directory, visible only in this mount namespace:
// podman keeps CNI leases and caches in /var/lib/cni and namespace files in
// /run/netns; with this, none of it reaches the host, even after a crash.
// A directory it had to create on the host is removed again.
class PrivateDir {
public:
  explicit PrivateDir(fs::path path) : path_(std::move(path)) {
    std::error_code ec;
    made_ = fs::create_directories(path_, ec);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "mode=755") == 0;
  }
  ~PrivateDir() {
    if (mounted_) {
      ::umount2(path_.c_str(), MNT_DETACH);
    }
    if (made_) {
      ::rmdir(path_.c_str());
    }
  }
  PrivateDir(const PrivateDir &) = delete;
  PrivateDir &operator=(const PrivateDir &) = delete;
  PrivateDir(PrivateDir &&) = delete;
  PrivateDir &operator=(PrivateDir &&) = delete;

  [[nodiscard]] bool ok() const { return mounted_; }

private:
  fs::path path_;
  bool made_ = false;
  bool mounted_ = false;
};

// A container's network namespace file and its address on one network.
struct Peer {
  std::string id;
  std::string netns;
  std::string address;
};

// The scratch engine, in the private namespaces, and the containers and
// networks a benchmark made.
class Bench {
public:
  Bench() {
    if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 || !loopback_up()) {
      error_ = std::string("private namespaces: ") + std::strerror(errno);
      return;
    }
    if (berth::testing::installed("podman")) {
      cni_ = std::make_unique<PrivateDir>("/var/lib/cni");
      netns_ = std::make_unique<PrivateDir>("/run/netns");
    }
    engine_ = std::make_unique<ScratchEngine>("network");
    ok_ = engine_->ok() && engine_->make_image(engine_->dir() / "rootfs", {"true", "sh", "sleep"});
    error_ = engine_->error();
    podman_ = ok_ && cni_ && cni_->ok() && netns_->ok() && engine_->load_podman();
  }
  ~Bench() {
    if (!engine_) {
      return; // nothing was made, perhaps not even the private namespaces
    }
    for (const auto &id : containers_) {
      run(berth({"rm", "-f", id}));
    }
    for (const auto &name : networks_) {
      run(berth({"network", "rm", name}));
    }
    engine_.reset(); // before the private directories podman needs
  }
  Bench(const Bench &) = delete;
  Bench &operator=(const Bench &) = delete;
  Bench(Bench &&) = delete;
  Bench &operator=(Bench &&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string &error() const { return error_; }
  [[nodiscard]] bool podman_available() const { return podman_; }
  [[nodiscard]] fs::path root() const { return engine_->root(); }
  [[nodiscard]] const fs::path &dir() const { return engine_->dir(); }

  Sample run(const std::vector<std::string> &args) { return engine_->run(args); }
  [[nodiscard]] std::vector<std::string> berth(std::vector<std::string> args) const {
    return engine_->berth(std::move(args));
  }
  [[nodiscard]] std::vector<std::string> podman(std::vector<std::string> args) const {
    return engine_->podman(std::move(args));
  }

  // A user-defined network, removed with the bench.
  std::optional<std::string> create_network(const std::string &name, std::string *error) {
    auto created = run(berth({"network", "create", name}));
    if (created.status != 0) {
      *error = "berth network create: " + created.error;
      return std::nullopt;
    }
    networks_.push_back(name);
    return name;
  }
  void remove_network(const std::string &name) {
    run(berth({"network", "rm", name}));
    std::erase(networks_, name);
  }

  // `sleep 1000` in a container on network, with its namespace and address.
  std::optional<Peer> start_sleeper(const std::string &network, std::string *error) {
    auto started = run(berth({"run", "-d", "--network", network, "bench:latest", "sleep", "1000"}));
    Peer peer{first_line(started.output), "", ""};
    if (started.status != 0 || peer.id.empty()) {
      *error = "berth run -d --network " + network + ": " + started.error;
      return std::nullopt;
    }
    containers_.push_back(peer.id);
    auto inspected = run(berth({"inspect", peer.id}));
    auto parsed = nlohmann::json::parse(inspected.output, nullptr, false);
    if (inspected.status != 0 || !parsed.is_array() || parsed.empty() || !parsed[0].is_object()) {
      *error = "berth inspect: " + inspected.error;
      return std::nullopt;
    }
    using Pointer = nlohmann::json::json_pointer;
    const auto &container = parsed[0];
    peer.netns = container.value(Pointer("/NetworkSettings/SandboxKey"), "");
    peer.address =
        container.value(Pointer("/NetworkSettings/Networks/" + network + "/IPAddress"), "");
    if (peer.netns.empty() || peer.address.empty()) {
      *error = "berth inspect: no NetworkSettings.SandboxKey or NetworkSettings.Networks." +
               network + ".IPAddress in " +
               container.value("NetworkSettings", nlohmann::json()).dump();
      return std::nullopt;
    }
    return peer;
  }
  void remove_container(const std::string &id) {
    run(berth({"rm", "-f", id}));
    std::erase(containers_, id);
  }

private:
  std::string error_;
  bool ok_ = false;
  bool podman_ = false;
  std::unique_ptr<PrivateDir> cni_;
  std::unique_ptr<PrivateDir> netns_;
  std::unique_ptr<ScratchEngine> engine_;
  std::vector<std::string> containers_;
  std::vector<std::string> networks_;
};

Bench &bench() {
  static Bench instance;
  return instance;
}

bool usable(benchmark::State &state, const Bench &b) {
  if (!b.ok()) {
    state.SkipWithError(("set-up failed (needs root and busybox): " + b.error()).c_str());
  }
  return b.ok();
}

// --- container start on the bridge against none ------------------------------------------

// Bridge minus none, paired by round: two runs side by side share the
// machine's load at that moment, which a difference of medians would not.
void report_start_cost(benchmark::State &state, std::map<std::string, std::vector<double>> &wall,
                       const std::string &engine) {
  const auto cost = differences(wall[engine + "_bridge"], wall[engine + "_none"]);
  state.counters[engine + "_bridge_cost_ms"] = median(cost);
  if (engine == "berth") {
    state.counters["berth_bridge_cost_p90_ms"] = percentile(cost, 0.9);
  }
}

void BM_NetworkStartVsPodman(benchmark::State &state) {
  auto &b = bench();
  if (!usable(state, b)) {
    return;
  }
  std::map<std::string, std::vector<std::string>> commands = {
      {"berth_bridge", b.berth({"run", "--rm", "bench:latest", "/bin/true"})},
      {"berth_none", b.berth({"run", "--rm", "--network", "none", "bench:latest", "/bin/true"})},
  };
  if (b.podman_available()) {
    // podman's default nofile (1048576) is above this host's hard limit.
    const std::vector<std::string> limits = {"--ulimit=nofile=20000:20000",
                                             "--ulimit=nproc=32768:32768"};
    for (const auto *network : {"bridge", "none"}) {
      std::vector<std::string> args = {"run", "--rm"};
      if (std::string(network) == "none") {
        args.emplace_back("--network=none");
      }
      args.insert(args.end(), limits.begin(), limits.end());
      args.insert(args.end(), {"bench:latest", "/bin/true"});
      commands[std::string("podman_") + network] = b.podman(args);
    }
  }
  std::map<std::string, std::vector<double>> wall;
  std::map<std::string, std::vector<double>> cpu;
  for (auto _ : state) {
    for (int round = 0; round < kRounds; ++round) {
      for (const auto &[name, args] : commands) {
        const auto sample = b.run(args);
        if (sample.status != 0) {
          state.SkipWithError((name + " failed: " + sample.error).c_str());
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
  report_start_cost(state, wall, "berth");
  if (b.podman_available()) {
    report_start_cost(state, wall, "podman");
  }
}
BENCHMARK(BM_NetworkStartVsPodman)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// --- endpoint attach + detach in process -------------------------------------------------

struct EndpointTimes {
  std::vector<double> total_ms;
  std::vector<double> setup_ms;
  std::vector<double> teardown_ms;
  std::vector<double> cpu_ms;
};

// One setup + teardown of container's sandbox; false with error on failure.
bool time_sandbox(berth::NetworkService &networks, const berth::SandboxRequest &request,
                  EndpointTimes &times, std::string *error) {
  const auto cpu_before = process_cpu_ms();
  const auto start = Clock::now();
  auto setup = networks.setup(request);
  const auto set_up = Clock::now();
  auto teardown = networks.teardown(request.container);
  const auto end = Clock::now();
  times.cpu_ms.push_back(process_cpu_ms() - cpu_before);
  if (!setup.ok() || !teardown.ok()) {
    *error = request.name + ": " + (setup.ok() ? teardown.error() : setup.error()).describe();
    return false;
  }
  using Ms = std::chrono::duration<double, std::milli>;
  times.setup_ms.push_back(Ms(set_up - start).count());
  times.teardown_ms.push_back(Ms(end - set_up).count());
  times.total_ms.push_back(Ms(end - start).count());
  return true;
}

std::unique_ptr<berth::Engine> open_engine(const Bench &b, std::string *error) {
  berth::EngineOptions options;
  options.root = b.root();
  options.builtin_plugin_dirs = {BERTH_PLUGIN_DIR};
  options.helper_dir = fs::path(BERTH_EXECUTABLE).parent_path();
  auto opened = berth::Engine::open(options);
  if (!opened.engine && !opened.diagnostics.empty()) {
    *error = opened.diagnostics.front().to_string();
  }
  return std::move(opened.engine);
}

void report_endpoint(benchmark::State &state, const std::string &network,
                     const EndpointTimes &times) {
  state.counters[network + "_p50_ms"] = percentile(times.total_ms, 0.5);
  state.counters[network + "_p99_ms"] = percentile(times.total_ms, 0.99);
  state.counters[network + "_setup_p50_ms"] = percentile(times.setup_ms, 0.5);
  state.counters[network + "_teardown_p50_ms"] = percentile(times.teardown_ms, 0.5);
  state.counters[network + "_cpu_p50_ms"] = percentile(times.cpu_ms, 0.5);
}

// The engine's own cost of a sandbox on the default bridge (namespace, veth
// pair, address, routes, hosts file) against one on none (namespace only),
// alternating, without any process start around it.
void BM_NetworkEndpointAttachDetach(benchmark::State &state) {
  auto &b = bench();
  if (!usable(state, b)) {
    return;
  }
  std::string error;
  auto engine = open_engine(b, &error);
  if (!engine) {
    state.SkipWithError(("engine: " + error).c_str());
    return;
  }
  auto networks = engine->networks();
  if (!networks.ok()) {
    state.SkipWithError(("engine: " + networks.error().describe()).c_str());
    return;
  }
  std::map<std::string, berth::SandboxRequest> requests;
  for (const auto *network : {"bridge", "none"}) {
    berth::SandboxRequest request;
    request.container = berth::random_hex_id();
    request.name = request.hostname = std::string("netbench-") + network;
    request.hosts_file = b.dir() / (std::string("hosts-") + network);
    request.resolv_file = b.dir() / (std::string("resolv-") + network);
    auto joined = (*networks)->join(request.container, network, {}, "", false);
    if (!joined.ok()) {
      state.SkipWithError(
          ("join " + std::string(network) + ": " + joined.error().describe()).c_str());
      return;
    }
    requests[network] = request;
  }
  std::map<std::string, EndpointTimes> times;
  for (auto _ : state) {
    for (int i = 0; i < kEndpointIterations && error.empty(); ++i) {
      for (const auto &[network, request] : requests) {
        if (!time_sandbox(**networks, request, times[network], &error)) {
          break;
        }
      }
    }
  }
  for (const auto &[network, request] : requests) {
    (void)(*networks)->forget(request.container);
  }
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (const auto &[network, samples] : times) {
    report_endpoint(state, network, samples);
  }
  const auto endpoint = differences(times["bridge"].total_ms, times["none"].total_ms);
  state.counters["endpoint_p50_ms"] = percentile(endpoint, 0.5);
  state.counters["endpoint_p99_ms"] = percentile(endpoint, 0.99);
}
BENCHMARK(BM_NetworkEndpointAttachDetach)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- TCP request/response -----------------------------------------------------------------

// berth bench's traffic generator: one-byte round trips over one connection.
std::vector<double> round_trips(const berth::bench::TrafficPath &path, std::string *error) {
  auto trips = berth::bench::tcp_round_trips(path, kRoundTripBlockSeconds, [] { return false; });
  if (!trips.ok()) {
    *error = trips.error().describe();
    return {};
  }
  return std::move(trips).value();
}

// Two containers on a fresh user network, and the loopback of the bench's
// own namespace, measured in alternating blocks.
void BM_NetworkTcpRoundTrip(benchmark::State &state) {
  auto &b = bench();
  if (!usable(state, b)) {
    return;
  }
  std::string error;
  const auto network = b.create_network("netbench-" + std::to_string(::getpid()), &error);
  std::optional<Peer> server;
  std::optional<Peer> client;
  if (network) {
    server = b.start_sleeper(*network, &error);
  }
  if (server) {
    client = b.start_sleeper(*network, &error);
  }
  std::map<std::string, std::vector<double>> rtt;
  if (client) {
    berth::bench::TrafficPath bridge;
    bridge.server_netns = server->netns;
    bridge.client_netns = client->netns;
    bridge.connect_address = server->address;
    berth::bench::TrafficPath loopback;
    loopback.connect_address = "127.0.0.1";
    const std::map<std::string, berth::bench::TrafficPath> paths = {{"bridge", bridge},
                                                                    {"loopback", loopback}};
    for (auto _ : state) {
      for (int block = 0; block < kRoundTripBlocks && error.empty(); ++block) {
        for (const auto &[name, path] : paths) {
          std::string failed;
          const auto trips = round_trips(path, &failed);
          if (!failed.empty()) {
            error.append(name).append(": ").append(failed);
          }
          rtt[name].insert(rtt[name].end(), trips.begin(), trips.end());
        }
      }
    }
  }
  for (const auto &peer : {server, client}) {
    if (peer) {
      b.remove_container(peer->id);
    }
  }
  if (network) {
    b.remove_network(*network);
  }
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (const auto &[name, samples] : rtt) {
    state.counters[name + "_rtt_us"] = median(samples);
    state.counters[name + "_rtt_p99_us"] = percentile(samples, 0.99);
  }
  state.counters["bridge_vs_loopback"] = median(rtt["bridge"]) / median(rtt["loopback"]);
}
BENCHMARK(BM_NetworkTcpRoundTrip)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace
