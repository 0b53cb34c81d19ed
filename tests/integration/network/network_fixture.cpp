#include "network_fixture.hpp"

#include "store/sqlite.hpp"
#include "support/image_builder.hpp"

#include <berth/sdk/ipv4.hpp>

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::unique_ptr<TempDir> NetworkTest::exposed_dir_;

namespace {

const char *const kIp = "/usr/sbin/ip";
const char *const kNft = "/usr/sbin/nft";

} // namespace

void NetworkTest::SetUpTestSuite() {
  // ContainerTest's suite set-up moves the process into private mount and
  // network namespaces before anything else.
  ContainerTest::SetUpTestSuite();
  for (const char *tool : {kIp, kNft, "/usr/bin/nsenter", "/usr/bin/unshare"}) {
    if (suite_skip_.empty() && !fs::exists(tool)) {
      suite_skip_ = std::string("needs ") + tool;
    }
  }
  if (!suite_skip_.empty()) {
    return;
  }
  exposed_dir_ = std::make_unique<TempDir>("berth-network-image");
  write_oci_archive(exposed_dir_->path() / "exposed.tar", {busybox_entries()}, kExposedImage,
                    R"({"Cmd": ["/bin/sh"], "ExposedPorts": {"80/tcp": {}, "5353/udp": {}}})");
}

void NetworkTest::TearDownTestSuite() {
  exposed_dir_.reset();
  ContainerTest::TearDownTestSuite();
}

void NetworkTest::SetUp() {
  if (!suite_skip_.empty()) {
    GTEST_SKIP() << suite_skip_;
  }
  // ContainerTest's set-up gives each test a fresh network namespace.
  ContainerTest::SetUp();
  if (HasFatalFailure() || IsSkipped()) {
    return;
  }
  set_up_ = true;
  make_outside();
}

void NetworkTest::make_outside() {
  outside_ = tmp().write("outside.netns", "");
  const auto ns = outside_.string();
  must({"/usr/bin/unshare", "--net=" + ns, "true"});
  must({kIp, "link", "add", "outside0", "type", "veth", "peer", "name", "eth0", "netns", ns});
  must({kIp, "addr", "add", std::string(kHostSide) + "/24", "dev", "outside0"});
  must({kIp, "link", "set", "outside0", "up"});
  for (const std::vector<std::string> &command :
       {std::vector<std::string>{kIp, "addr", "add", std::string(kOutsidePeer) + "/24", "dev",
                                 "eth0"},
        {kIp, "link", "set", "eth0", "up"},
        {kIp, "link", "set", "lo", "up"}}) {
    std::vector<std::string> argv{"/usr/bin/nsenter", "--net=" + ns};
    argv.insert(argv.end(), command.begin(), command.end());
    must(argv);
  }
}

void NetworkTest::TearDown() {
  if (set_up_) {
    check_nothing_left();
  }
  if (!outside_.empty()) {
    ::umount2(outside_.c_str(), MNT_DETACH);
  }
  ContainerTest::TearDown();
}

void NetworkTest::check_nothing_left() {
  const auto ids = all_ids();
  if (!ids.empty()) {
    std::vector<std::string> rm{"rm", "-f"};
    rm.insert(rm.end(), ids.begin(), ids.end());
    const auto removed = berth(rm);
    EXPECT_EQ(removed.exit_code, 0) << "rm -f of every container: " << removed.err;
  }
  const auto veths = endpoint_veths();
  EXPECT_TRUE(veths.empty()) << "veth left after rm -f of every container: " << veths.front();
  const auto elements = port_elements();
  EXPECT_TRUE(elements.empty()) << "published port left in nftables: " << elements.front();
  const auto held = held_addresses();
  EXPECT_TRUE(held.empty()) << "address still held after rm -f of every container: "
                            << held.front();
  const auto pruned = berth({"network", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << "network prune: " << pruned.err;
  auto names = network_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"bridge", "host", "none"}))
      << "networks left after network prune";
}

std::string NetworkTest::create_network(const std::string &name,
                                        const std::vector<std::string> &args) {
  std::vector<std::string> argv{"network", "create"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(name);
  const auto created = berth(argv);
  EXPECT_EQ(created.exit_code, 0) << "network create " << name << ": " << created.err;
  auto id = created.out;
  if (!id.empty() && id.back() == '\n') {
    id.pop_back();
  }
  EXPECT_EQ(id.size(), 64U) << "network create prints the full id, got: " << created.out;
  return id;
}

std::string NetworkTest::start_web(const std::vector<std::string> &flags, const std::string &body) {
  std::vector<std::string> args = flags;
  args.insert(args.end(), {kImage, "sh", "-c",
                           "mkdir -p /www && echo " + body +
                               " > /www/index.html && exec httpd -f -p 80 -h /www"});
  const auto id = run_detached(args);
  const auto netns = netns_of(id);
  const bool up = eventually([&] { return can_connect(netns, "127.0.0.1", 80); });
  EXPECT_TRUE(up) << "httpd in " << id.substr(0, 12) << " never listened on port 80";
  return id;
}

Completed NetworkTest::fetch_from(const std::vector<std::string> &flags, const std::string &host,
                                  int port) const {
  std::vector<std::string> args{"run", "--rm"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {kImage, "sh", "-c",
                           "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + host + " " +
                               std::to_string(port)});
  return berth(args);
}

void NetworkTest::load_exposed_image() {
  const auto loaded = berth({"load", "-i", (exposed_dir_->path() / "exposed.tar").string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
}

std::string NetworkTest::netns_of(const std::string &container) const {
  const int pid = state_file(container).value("pid", 0);
  EXPECT_GT(pid, 0) << "no pid in the state of " << container;
  return "/proc/" + std::to_string(pid) + "/ns/net";
}

std::string NetworkTest::address_of(const std::string &container,
                                    const std::string &network) const {
  const auto networks = inspect(container)["NetworkSettings"]["Networks"];
  if (!networks.is_object() || !networks.contains(network)) {
    ADD_FAILURE() << container << " is not on " << network << ": " << networks.dump();
    return "";
  }
  return networks[network].value("IPAddress", "");
}

nlohmann::json NetworkTest::network_inspect(const std::string &network) const {
  const auto done = berth({"network", "inspect", network});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  auto list = nlohmann::json::parse(done.out, nullptr, false);
  if (!list.is_array() || list.size() != 1) {
    ADD_FAILURE() << "network inspect " << network << " printed: " << done.out;
    return nlohmann::json::object();
  }
  return list[0];
}

std::vector<std::string> NetworkTest::network_names() const {
  const auto listed = berth({"network", "ls", "--format", "json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::string> names;
  const auto list = nlohmann::json::parse(listed.out, nullptr, false);
  if (!list.is_array()) {
    ADD_FAILURE() << "network ls --format json printed: " << listed.out;
    return names;
  }
  for (const auto &network : list) {
    names.push_back(network.value("Name", ""));
  }
  return names;
}

std::string NetworkTest::run_fails(const std::vector<std::string> &args, int code) {
  std::vector<std::string> argv{"run"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto done = berth(argv);
  EXPECT_EQ(done.exit_code, code) << "stdout: " << done.out << "stderr: " << done.err;
  const auto error = lines(done.err);
  EXPECT_EQ(error.size(), 1U) << "want one line on stderr, got: " << done.err;
  return error.empty() ? "" : error.front();
}

std::vector<std::string> NetworkTest::held_addresses() const {
  std::vector<std::string> held;
  try {
    Database db(root() / "berth.db");
    auto query = db.prepare("SELECT address, owner FROM ipam_addresses");
    while (query.step()) {
      const sdk::Ipv4 address{static_cast<std::uint32_t>(query.integer(0))};
      held.push_back(address.str() + " (owner " + query.text(1) + ")");
    }
  } catch (const SqliteError &) {
    // No table yet: nothing was ever allocated.
  }
  return held;
}

std::string NetworkTest::unique(const std::string &stem) {
  static std::atomic<int> counter{0};
  return stem + "-" + std::to_string(++counter);
}

// A stopped container's veth goes with its namespace, which the kernel
// tears down in the background after an RCU grace period: read until two
// looks 50 ms apart agree.
std::vector<std::string> NetworkTest::endpoint_veths() {
  auto seen = listed_veths();
  for (int attempt = 0; attempt < 60; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto again = listed_veths();
    if (again == seen) {
      break;
    }
    seen = std::move(again);
  }
  return seen;
}

std::vector<std::string> NetworkTest::listed_veths() {
  std::vector<std::string> found;
  for (const auto &line : lines(must({kIp, "-o", "link"}).out)) {
    // "7: vb0123456789abc@if2: <BROADCAST,..."
    const auto start = line.find(": ");
    if (start == std::string::npos) {
      continue;
    }
    const auto name = line.substr(start + 2, line.find_first_of("@:", start + 2) - start - 2);
    if (name.starts_with("vb")) {
      found.push_back(name);
    }
  }
  return found;
}

std::vector<std::string> NetworkTest::port_elements() {
  std::vector<std::string> found;
  for (const char *map : {"ports_any", "ports_ip"}) {
    const auto listed = run_process({kNft, "-j", "list", "map", "ip", "berth", map});
    if (listed.exit_code != 0) {
      continue; // no table: nothing was ever published
    }
    const auto document = nlohmann::json::parse(listed.out, nullptr, false);
    if (!document.is_object()) {
      ADD_FAILURE() << "nft -j list map ip berth " << map << " printed: " << listed.out;
      continue;
    }
    for (const auto &entry : document.value("nftables", nlohmann::json::array())) {
      if (entry.contains("map")) {
        for (const auto &element : entry["map"].value("elem", nlohmann::json::array())) {
          found.push_back(std::string(map) + ": " + element.dump());
        }
      }
    }
  }
  return found;
}

Completed NetworkTest::must(const std::vector<std::string> &argv) {
  auto done = run_process(argv);
  std::string command;
  for (const auto &word : argv) {
    command += word + " ";
  }
  EXPECT_EQ(done.exit_code, 0) << command << "failed: " << done.err;
  return done;
}

} // namespace berth::testing
