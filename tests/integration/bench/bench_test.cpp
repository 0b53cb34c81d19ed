// berth bench, run for real on small sizes: every workload gives sane
// numbers for every named driver, a failing driver is reported without
// stopping the others, and Ctrl-C leaves nothing behind.
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

extern char **environ; // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

class BenchTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "berth bench needs root";
    }
    root_ = tmp_.path() / "root";
    scratch_ = tmp_.path() / "scratch";
  }

  Completed bench(std::vector<std::string> args,
                  const std::map<std::string, std::string> &env = {}) {
    args.insert(args.begin(), {"--root", root_.string(), "bench"});
    args.insert(args.end(), {"--scratch", scratch_.string()});
    return run_berth(args, env);
  }

  static json parse(const Completed &done) {
    auto report = json::parse(done.out, nullptr, false);
    EXPECT_FALSE(report.is_discarded()) << "not JSON: " << done.out << done.err;
    return report;
  }

  static const json *measurement(const json &report, const std::string &workload,
                                 const std::string &subject) {
    for (const auto &m : report["measurements"]) {
      if (m["workload"] == workload && m["subject"] == subject) {
        return &m;
      }
    }
    return nullptr;
  }

  static const json *subject(const json &report, const std::string &name) {
    for (const auto &s : report["subjects"]) {
      if (s["name"] == name) {
        return &s;
      }
    }
    return nullptr;
  }

  // Every sample of workload on subject is positive, and there are runs of them.
  static void expect_sane(const json &report, const std::string &workload, const std::string &name,
                          std::size_t runs) {
    const auto *m = measurement(report, workload, name);
    ASSERT_NE(m, nullptr) << workload << " has no result for " << name;
    EXPECT_FALSE(m->contains("error")) << workload << " on " << name << ": " << m->dump();
    ASSERT_TRUE(m->contains("samples")) << m->dump();
    EXPECT_EQ((*m)["samples"].size(), runs) << workload << " on " << name;
    for (const auto &sample : (*m)["samples"]) {
      EXPECT_GT(sample.get<double>(), 0) << workload << " on " << name;
    }
    EXPECT_EQ((*m)["summary"]["runs"], runs);
  }

  // Cgroups of bench runs that are over ("/berth/bench-PID" whose PID is
  // gone), in the v1 hierarchies and in a v2 one alike. Runs of other tests
  // may be under way beside this one; theirs are alive.
  static std::vector<fs::path> cgroups_of_finished_runs() {
    std::vector<fs::path> left;
    std::vector<fs::path> parents = {"/sys/fs/cgroup/berth"};
    std::error_code ec;
    for (const auto &hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      parents.push_back(hierarchy.path() / "berth");
    }
    EXPECT_GT(parents.size(), 1U) << "no cgroup hierarchy to look at";
    for (const auto &parent : parents) {
      for (const auto &run : fs::directory_iterator(parent, ec)) {
        const auto name = run.path().filename().string();
        if (name.rfind("bench-", 0) == 0 && ::kill(std::atoi(name.c_str() + 6), 0) != 0) {
          left.push_back(run.path());
        }
      }
    }
    return left;
  }

  void expect_scratch_empty() {
    std::error_code ec;
    EXPECT_TRUE(!fs::exists(scratch_) || fs::is_empty(scratch_, ec))
        << "the run left " << fs::directory_iterator(scratch_, ec)->path();
  }

  // A stack with the fixture's plugins beside berth's own.
  fs::path stack_with_fixture() {
    std::ifstream in(BERTH_SOURCE_DIR "/examples/stacks/default.yaml");
    std::stringstream text;
    text << in.rdbuf();
    auto yaml = text.str();
    yaml.replace(yaml.find("root:"), 0,
                 std::string("plugins: { paths: [") + BERTH_BENCH_FIXTURE_DIR + "] }\n");
    return tmp_.write("stack.yaml", yaml);
  }

  TempDir tmp_{"berth-bench-test"};
  fs::path root_;
  fs::path scratch_;
};

TEST_F(BenchTest, StorageMeasuresEveryWorkloadForEachDriverAndWritesCharts) {
  const auto out = tmp_.path() / "out";
  const auto done =
      bench({"storage", "--drivers", "overlay2,vfs", "--repeat", "2", "--size", "2", "--files",
             "20", "--containers", "2", "--format", "json", "--out", out.string()});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto report = parse(done);
  EXPECT_EQ(report["suite"], "storage");
  EXPECT_FALSE(report["machine"]["kernel"].get<std::string>().empty());
  EXPECT_GT(report["machine"]["cores"].get<int>(), 0);
  for (const auto *driver : {"overlay2", "vfs"}) {
    const auto *s = subject(report, driver);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ((*s)["status"], "ok") << s->dump();
    EXPECT_FALSE((*s)["version"].get<std::string>().empty());
    for (const auto *workload : {"apply_layers", "prepare_first", "prepare_next", "copy_up",
                                 "metadata", "seq_write", "seq_read", "commit", "remove"}) {
      expect_sane(report, workload, driver, 2);
    }
    expect_sane(report, "disk_usage", driver, 1);
  }
  // vfs copies the image for each container; overlay2 shares it.
  const auto usage = [&](const char *driver) {
    return (*measurement(report, "disk_usage", driver))["summary"]["median"].get<double>();
  };
  EXPECT_GT(usage("vfs"), 2 * usage("overlay2"));
  expect_sane(report, "seq_write", "host filesystem", 2);
  expect_sane(report, "seq_read", "host filesystem", 2);
  EXPECT_TRUE(fs::exists(out / "report.json"));
  EXPECT_TRUE(fs::exists(out / "report.md"));
  for (const auto &workload : report["workloads"]) {
    const auto chart = out / ("storage-" + workload["id"].get<std::string>() + ".svg");
    ASSERT_TRUE(fs::exists(chart)) << chart;
    std::ifstream in(chart);
    std::string head(4, '\0');
    in.read(head.data(), 4);
    EXPECT_EQ(head, "<svg");
  }
  expect_scratch_empty();
}

TEST_F(BenchTest, AFailingDriverIsReportedAndTheOthersStillRun) {
  const auto stack = stack_with_fixture();
  const auto done = bench({"storage", "--drivers", "fixture-full-disk,vfs", "--repeat", "1",
                           "--size", "1", "--files", "5", "--containers", "1", "--format", "json"},
                          {{"BERTH_STACK", stack.string()}});
  EXPECT_EQ(done.exit_code, 1) << done.err;
  EXPECT_NE(done.err.find("fixture-full-disk"), std::string::npos) << done.err;
  const auto report = parse(done);
  const auto *broken = subject(report, "fixture-full-disk");
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ((*broken)["status"], "failed");
  EXPECT_EQ((*broken)["version"], "0.1.0");
  EXPECT_NE((*broken)["reason"].get<std::string>().find("No space left on device"),
            std::string::npos);
  EXPECT_EQ((*subject(report, "vfs"))["status"], "ok");
  expect_sane(report, "prepare_first", "vfs", 1);
  expect_scratch_empty();
}

TEST_F(BenchTest, NetworkMeasuresBridgeHostAndNone) {
  const auto done = bench({"network", "--drivers", "bridge,host,none", "--repeat", "1",
                           "--duration", "0.2", "--format", "json"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto report = parse(done);
  for (const auto *driver : {"bridge", "host", "none"}) {
    expect_sane(report, "attach_detach", driver, 20);
  }
  for (const auto *driver : {"bridge", "host", "loopback"}) {
    expect_sane(report, "tcp_stream_c2c", driver, 1);
    // Every round trip of the run (up to 1000 of them), for a real p99.
    const auto *trips = measurement(report, "tcp_rr", driver);
    ASSERT_NE(trips, nullptr);
    expect_sane(report, "tcp_rr", driver, (*trips)["samples"].size());
    EXPECT_GT((*trips)["samples"].size(), 100U) << driver;
  }
  expect_sane(report, "tcp_stream_c2h", "bridge", 1);
  expect_sane(report, "published_port", "bridge", 1);
  const auto *host_ports = measurement(report, "published_port", "host");
  ASSERT_NE(host_ports, nullptr);
  EXPECT_TRUE(host_ports->contains("unsupported")) << host_ports->dump();
  const auto *none_traffic = measurement(report, "tcp_stream_c2c", "none");
  ASSERT_NE(none_traffic, nullptr);
  EXPECT_TRUE(none_traffic->contains("unsupported")) << none_traffic->dump();
  expect_scratch_empty();
}

// One plugin beside itself under other options: each is a subject of its
// own, labelled as typed, with its options in the report.
TEST_F(BenchTest, NetworkComparesOneDriverUnderTwoOptionSets) {
  const auto done = bench({"network", "--drivers", "bridge,bridge:mtu=9000:nat=false", "--repeat",
                           "1", "--duration", "0.2", "--format", "json"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto report = parse(done);
  const auto *plain = subject(report, "bridge");
  const auto *jumbo = subject(report, "bridge:mtu=9000:nat=false");
  ASSERT_NE(plain, nullptr) << report["subjects"].dump();
  ASSERT_NE(jumbo, nullptr) << report["subjects"].dump();
  EXPECT_EQ((*jumbo)["plugin"], "bridge");
  EXPECT_EQ((*plain)["options"]["mtu"], 1500);
  EXPECT_EQ((*jumbo)["options"]["mtu"], 9000);
  EXPECT_EQ((*jumbo)["options"]["nat"], false);
  for (const auto *name : {"bridge", "bridge:mtu=9000:nat=false"}) {
    expect_sane(report, "attach_detach", name, 20);
    expect_sane(report, "tcp_stream_c2c", name, 1);
    expect_sane(report, "published_port", name, 1);
  }
  expect_scratch_empty();
}

TEST_F(BenchTest, RuntimeMeasuresEachBackend) {
  const auto done = bench({"runtime", "--backends", "namespaces,runc", "--repeat", "2",
                           "--containers", "3", "--format", "json"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto report = parse(done);
  for (const auto *backend : {"namespaces", "runc"}) {
    expect_sane(report, "start_true", backend, 2);
    expect_sane(report, "start_true_cpu", backend, 2);
    expect_sane(report, "concurrent", backend, 2);
    // The whole `berth run --rm`, beside the in-process figure.
    expect_sane(report, "run_rm_cli", backend, 2);
  }
  EXPECT_EQ((*subject(report, "runc"))["plugin"], "oci");
  EXPECT_EQ((*subject(report, "runc"))["options"]["binary"], "runc");
  expect_scratch_empty();
  const auto left = cgroups_of_finished_runs();
  EXPECT_TRUE(left.empty()) << "cgroup left: " << left.front();
}

TEST_F(BenchTest, TheTableAndMarkdownNameEveryDriver) {
  const auto table = bench({"network", "--drivers", "none", "--repeat", "1", "--duration", "0.1"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("WORKLOAD"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("none"), std::string::npos) << table.out;
  const auto markdown = bench({"network", "--drivers", "none", "--repeat", "1", "--duration", "0.1",
                               "--format", "markdown"});
  ASSERT_EQ(markdown.exit_code, 0) << markdown.err;
  EXPECT_NE(markdown.out.find("# berth bench network"), std::string::npos) << markdown.out;
  EXPECT_NE(markdown.out.find("| none"), std::string::npos) << markdown.out;
}

TEST_F(BenchTest, PeersAppearBesideBerthsFigures) {
  const auto peers = tmp_.write("peers.json", R"json({"suite": "network",
    "subjects": [{"name": "podman (CNI bridge)", "version": "4.3.1"}],
    "measurements": [{"workload": "attach_detach", "subject": "podman (CNI bridge)",
                      "samples": [240.5, 251.0]}]})json");
  const auto done = bench({"network", "--drivers", "none", "--repeat", "1", "--duration", "0.1",
                           "--format", "json", "--peers", peers.string()});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto report = parse(done);
  const auto *podman = subject(report, "podman (CNI bridge)");
  ASSERT_NE(podman, nullptr);
  EXPECT_EQ((*podman)["peer"], true);
  expect_sane(report, "attach_detach", "podman (CNI bridge)", 2);
}

TEST_F(BenchTest, BadInputIsOneLineAndRunsNothing) {
  const auto peers = tmp_.write("peers.json", R"({"suite": "storage", "subjects": []})");
  const std::vector<std::pair<std::vector<std::string>, std::string>> mistakes = {
      {{"storage", "--drivers", "overlay3"}, "did you mean 'overlay2'"},
      {{"runtime", "--backends", "kata"}, "no runtime backend or plugin named 'kata'"},
      {{"network", "--drivers", "bridge:mtu"}, "'bridge:mtu' is not NAME or NAME:key=value"},
      {{"network", "--drivers", "none,bridge:mtuu=9000"}, "has no option 'mtuu'"},
      {{"runtime", "--backends", "oci:binary=7"}, "expected string"},
      {{"network", "--repeat", "0"}, "must be positive"},
      {{"storage", "--format", "yaml"}, "invalid --format 'yaml'"},
      {{"network", "--peers", peers.string()}, "storage suite"},
      {{"storage", "--image", "no-such-image:1"}, "no-such-image:1"},
      {{"nosuch"}, "nosuch"},
  };
  for (const auto &[args, says] : mistakes) {
    const auto done = bench(args);
    EXPECT_NE(done.exit_code, 0) << args.front() << " " << args.back();
    EXPECT_NE(done.err.find(says), std::string::npos) << done.err;
    EXPECT_EQ(std::count(done.err.begin(), done.err.end(), '\n'), 1) << done.err;
    EXPECT_EQ(done.out, "");
  }
  expect_scratch_empty();
}

TEST_F(BenchTest, EveryBenchCommandHasHelp) {
  for (const auto *suite : {"storage", "network", "runtime"}) {
    const auto help = run_berth({"bench", suite, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("Usage: berth bench " + std::string(suite)), std::string::npos)
        << help.out;
    EXPECT_NE(help.out.find("--repeat"), std::string::npos);
  }
  EXPECT_EQ(run_berth({"bench", "--help"}).exit_code, 0);
}

// Ctrl-C in the middle: exit 130, and the scratch directory, its mounts
// and the containers' cgroups are gone.
TEST_F(BenchTest, CtrlCStopsTheRunAndLeavesNothing) {
  for (const auto *suite : {"storage", "runtime"}) {
    const auto log = tmp_.path() / "err.log";
    std::vector<std::string> args = {BERTH_EXECUTABLE, "--root",    root_.string(),
                                     "bench",          suite,       "--repeat",
                                     "1000",           "--scratch", scratch_.string()};
    if (std::string(suite) == "storage") {
      args.insert(args.end(), {"--drivers", "vfs", "--size", "4", "--files", "50"});
    } else {
      args.insert(args.end(), {"--backends", "namespaces", "--containers", "2"});
    }
    std::vector<char *> argv;
    for (auto &arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    // Its own process group, signalled as a terminal's Ctrl-C would: berth
    // and the runtimes it runs alike.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    // Under way once its scratch directory has a round in it.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    auto under_way = [&] {
      std::error_code ec;
      for (const auto &run : fs::directory_iterator(scratch_, ec)) {
        // Each subject works in SUITE-KEY ("runtime-1-namespaces").
        for (const auto &part : fs::directory_iterator(run.path(), ec)) {
          if (part.path().filename().string().starts_with(std::string(suite) + "-")) {
            return true;
          }
        }
      }
      return false;
    };
    while (!under_way() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(300ms);
    ::kill(-pid, SIGINT);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    std::ifstream err(log);
    std::stringstream text;
    text << err.rdbuf();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << suite << ": " << text.str();
    EXPECT_NE(text.str().find("interrupted"), std::string::npos) << text.str();
    expect_scratch_empty();
    const auto left = cgroups_of_finished_runs();
    EXPECT_TRUE(left.empty()) << suite << " left the cgroup " << left.front();
  }
}

} // namespace
} // namespace berth::testing
