// Storage figures, each timed in pairs with the raw operation it competes
// with (counters berth_ms, peer_ms and their ratio, medians over the rounds):
//   overlay2 prepare + mount of a cached image  vs  mount(2) of the same lowers
//   vfs prepare of the same image               vs  cp -a --reflink=auto
//   applying a 200 MB layer of 2,000 files      vs  tar -x of the same tarball
// The benchmarks mount for real: they run as root, in a private mount
// namespace of their own, under a scratch directory they remove.
#include "layer/layer_store.hpp"
#include "plugin/host_services.hpp"
#include "plugin/registry.hpp"
#include "store/sqlite.hpp"
#include "support/stats.hpp"

#include <berth/sdk/mount.hpp>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

extern char **environ; // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace {

using berth::benchmarks::median;

constexpr int kFiles = 2000;
constexpr std::size_t kFileSize = 100 * 1024; // 2,000 x 100 KiB = 200 MB

// The scratch world every benchmark shares: a 200 MB layer tarball and, per
// driver, a store where that layer is already applied.
struct Scratch {
  std::filesystem::path dir;
  std::filesystem::path tarball;
  bool ok = false;

  Scratch() {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return;
    }
    std::string pattern = "/var/tmp/berth-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return;
    }
    dir = pattern;
    const auto tree = dir / "tree";
    std::mt19937 random(42);
    std::string data(kFileSize, '\0');
    for (int i = 0; i < kFiles; ++i) {
      for (auto &c : data) {
        c = static_cast<char>(random());
      }
      const auto sub = tree / ("dir-" + std::to_string(i % 20));
      std::filesystem::create_directories(sub);
      std::ofstream(sub / ("file-" + std::to_string(i)), std::ios::binary) << data;
    }
    tarball = dir / "layer.tar";
    ok = run({"/bin/tar", "-C", tree.string(), "-cf", tarball.string(), "."}) == 0;
    std::filesystem::remove_all(tree);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  Scratch(Scratch &&) = delete;
  Scratch &operator=(Scratch &&) = delete;

  static int run(const std::vector<std::string> &args) {
    std::vector<char *> argv;
    for (const auto &arg : args) {
      argv.push_back(const_cast<char *>(arg.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      return -1;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

Scratch &scratch() {
  static Scratch instance;
  return instance;
}

// A driver with its own root and database, loaded from berth's plugin dir.
struct Store {
  std::filesystem::path root;
  berth::PluginRegistry registry;
  std::shared_ptr<berth::sdk::StorageDriver> driver;
  std::unique_ptr<berth::Database> db;
  std::unique_ptr<berth::LayerStore> layers;

  Store(const std::string &plugin, const std::string &name) : root(scratch().dir / name) {
    std::filesystem::create_directories(root);
    registry.load_directory(BERTH_PLUGIN_DIR);
    auto host = std::make_shared<berth::CoreHostServices>(plugin, root);
    auto made = registry.create<berth::sdk::StorageDriver>(plugin, {}, host);
    if (made.ok()) {
      driver = std::move(made).value();
      db = std::make_unique<berth::Database>(root / "berth.db");
      layers = std::make_unique<berth::LayerStore>(*db, driver, root);
    }
  }
};

// The store of plugin with the 200 MB layer applied once; its chain ID.
std::pair<Store *, std::string> cached_image(const std::string &plugin) {
  static std::map<std::string, std::pair<std::unique_ptr<Store>, std::string>> stores;
  auto &slot = stores[plugin];
  if (!slot.first) {
    slot.first = std::make_unique<Store>(plugin, "store-" + plugin);
    if (slot.first->layers) {
      auto layer = slot.first->layers->apply("", scratch().tarball, "", "bench layer");
      slot.second = layer.ok() ? layer->chain_id : "";
    }
  }
  return {slot.first.get(), slot.second};
}

bool ready(benchmark::State &state, const std::pair<Store *, std::string> &image) {
  if (!scratch().ok) {
    state.SkipWithError("needs root for a private mount namespace");
    return false;
  }
  if (image.second.empty()) {
    state.SkipWithError("the driver cannot run here");
    return false;
  }
  return true;
}

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One operation of berth's and the same one done by its peer, timed as a
// pair in every round (alternating which goes first), so that a noisy
// neighbour or write-back slows both alike. Clean-up is never timed.
struct Contender {
  std::function<double(int)> berth; // seconds of round n
  std::function<double(int)> peer;
};

void run_pairs(benchmark::State &state, const Contender &contender) {
  std::vector<double> ours;
  std::vector<double> theirs;
  int round = 0;
  for (auto _ : state) {
    double mine = 0;
    double other = 0;
    if (round % 2 == 0) {
      mine = contender.berth(round);
      other = contender.peer(round);
    } else {
      other = contender.peer(round);
      mine = contender.berth(round);
    }
    if (mine < 0 || other < 0) {
      state.SkipWithError("an operation failed; run it by hand to see why");
      return;
    }
    ours.push_back(mine);
    theirs.push_back(other);
    state.SetIterationTime(mine);
    ++round;
  }
  state.counters["berth_ms"] = median(ours) * 1e3;
  state.counters["peer_ms"] = median(theirs) * 1e3;
  state.counters["ratio"] = median(ours) / median(theirs);
}

// overlay2 prepare + mount against mkdir upper/work + mount(2) over the same
// lower directory.
void BM_Overlay2PrepareVsMount(benchmark::State &state) {
  auto image = cached_image("overlay2");
  if (!ready(state, image)) {
    return;
  }
  auto &driver = *image.first->driver;
  auto view = driver.view("raw-lowers", image.second);
  const auto lower = view.ok() ? view->front().source : "";
  const auto target = scratch().dir / "target";
  std::filesystem::create_directories(target);
  run_pairs(state, {[&](int n) {
                      const auto key = "bench-" + std::to_string(n);
                      const auto start = Clock::now();
                      auto mounts = driver.prepare(key, image.second);
                      if (!mounts.ok() || !berth::sdk::mount_all(*mounts, target).ok()) {
                        return -1.0;
                      }
                      const auto took = since(start);
                      (void)berth::sdk::unmount(target);
                      (void)driver.remove(key);
                      return took;
                    },
                    [&](int n) {
                      const auto dir = scratch().dir / ("raw-" + std::to_string(n));
                      const auto start = Clock::now();
                      std::filesystem::create_directory(dir);
                      std::filesystem::create_directory(dir / "upper");
                      std::filesystem::create_directory(dir / "work");
                      const auto data = "lowerdir=" + lower +
                                        ",upperdir=" + (dir / "upper").string() +
                                        ",workdir=" + (dir / "work").string() + ",index=off";
                      if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) != 0) {
                        return -1.0;
                      }
                      const auto took = since(start);
                      ::umount2(target.c_str(), 0);
                      std::filesystem::remove_all(dir);
                      return took;
                    }});
  (void)driver.remove("raw-lowers");
}
BENCHMARK(BM_Overlay2PrepareVsMount)->Unit(benchmark::kMillisecond)->UseManualTime();

// vfs prepare (a copy of the image) against cp -a --reflink=auto of the same
// tree.
void BM_VfsPrepareVsCp(benchmark::State &state) {
  auto image = cached_image("vfs");
  if (!ready(state, image)) {
    return;
  }
  auto &driver = *image.first->driver;
  auto view = driver.view("cp-source", image.second);
  const auto source = view.ok() ? view->front().source : "";
  run_pairs(
      state,
      {[&](int n) {
         const auto key = "bench-" + std::to_string(n);
         const auto start = Clock::now();
         if (!driver.prepare(key, image.second).ok()) {
           return -1.0;
         }
         const auto took = since(start);
         (void)driver.remove(key);
         ::sync(); // no write-back of this round left to slow the next
         return took;
       },
       [&](int n) {
         const auto target = scratch().dir / ("cp-" + std::to_string(n));
         const auto start = Clock::now();
         if (Scratch::run({"/bin/cp", "-a", "--reflink=auto", source, target.string()}) != 0) {
           return -1.0;
         }
         const auto took = since(start);
         std::filesystem::remove_all(target);
         ::sync();
         return took;
       }});
  (void)driver.remove("cp-source");
}
BENCHMARK(BM_VfsPrepareVsCp)->Unit(benchmark::kMillisecond)->UseManualTime();

// Applying the 200 MB layer (2,000 files) into a fresh store against GNU tar
// unpacking the same file as root.
void BM_ApplyVsTar(benchmark::State &state, const char *plugin) {
  if (!scratch().ok) {
    state.SkipWithError("needs root for a private mount namespace");
    return;
  }
  run_pairs(state, {[&](int n) {
                      auto store = std::make_unique<Store>(plugin, "apply-" + std::to_string(n));
                      if (!store->layers) {
                        return -1.0;
                      }
                      const auto start = Clock::now();
                      if (!store->layers->apply("", scratch().tarball, "", "bench layer").ok()) {
                        return -1.0;
                      }
                      const auto took = since(start);
                      const auto root = store->root;
                      store.reset();
                      std::filesystem::remove_all(root);
                      ::sync();
                      return took;
                    },
                    [&](int n) {
                      const auto target = scratch().dir / ("tar-" + std::to_string(n));
                      std::filesystem::create_directories(target);
                      const auto start = Clock::now();
                      if (Scratch::run({"/bin/tar", "-xf", scratch().tarball.string(), "-C",
                                        target.string()}) != 0) {
                        return -1.0;
                      }
                      const auto took = since(start);
                      std::filesystem::remove_all(target);
                      ::sync();
                      return took;
                    }});
}
BENCHMARK_CAPTURE(BM_ApplyVsTar, overlay2, "overlay2")
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_ApplyVsTar, vfs, "vfs")->Unit(benchmark::kMillisecond)->UseManualTime();

} // namespace
