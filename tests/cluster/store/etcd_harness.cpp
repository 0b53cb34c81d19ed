// Runs the conformance suite on a real etcd (Debian's etcd-server 3.4): one
// etcd per test on free 127.0.0.1 ports, its data in a fresh directory under
// /dev/shm (tmpfs, so its fsyncs cost nothing and the 10k-write test stays
// fast), stopped by its PID. Skipped when etcd is not installed.
#include "cluster/store/etcd/etcd_store.hpp"
#include "store_harness.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fcntl.h>
#include <thread>

extern char **environ;

namespace berth::cluster::testing {
namespace {

using namespace std::chrono_literals;

std::filesystem::path find_etcd() {
  for (const char *candidate : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (::access(candidate, X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

// A port the kernel just handed out and nobody holds; etcd binds it next.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
    throw std::runtime_error("cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::filesystem::path make_data_dir() {
  const bool shm = std::filesystem::is_directory("/dev/shm");
  std::string pattern = std::string(shm ? "/dev/shm" : "/tmp") + "/berth-etcd-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + " failed");
  }
  return pattern;
}

class EtcdHarness final : public StoreHarness {
public:
  explicit EtcdHarness(std::filesystem::path binary)
      : binary_(std::move(binary)), dir_(make_data_dir()), client_port_(free_port()),
        peer_port_(free_port()) {
    start();
    EtcdStoreOptions options;
    options.endpoints = {client_url()};
    auto opened = wait_until_ready(options);
    store_ = std::move(opened).value();
  }

  ~EtcdHarness() override {
    store_.reset();
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  EtcdHarness(const EtcdHarness &) = delete;
  EtcdHarness &operator=(const EtcdHarness &) = delete;
  EtcdHarness(EtcdHarness &&) = delete;
  EtcdHarness &operator=(EtcdHarness &&) = delete;

  StateStore &store() override { return *store_; }

  // Kills etcd outright (no graceful shutdown) and starts it on the same
  // data and ports; the store object and its watches carry on.
  void restart() override {
    stop();
    start();
    EtcdStoreOptions options;
    options.endpoints = {client_url()};
    (void)wait_until_ready(options);
  }

private:
  [[nodiscard]] std::string client_url() const {
    return "http://127.0.0.1:" + std::to_string(client_port_);
  }

  void start() {
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    const std::vector<std::string> args{binary_.string(),
                                        "--name=berth-test",
                                        "--data-dir=" + (dir_ / "data").string(),
                                        "--listen-client-urls=" + client_url(),
                                        "--advertise-client-urls=" + client_url(),
                                        "--listen-peer-urls=" + peer,
                                        "--initial-advertise-peer-urls=" + peer,
                                        "--initial-cluster=berth-test=" + peer,
                                        "--experimental-watch-progress-notify-interval=200ms",
                                        "--log-outputs=stderr"};
    std::vector<char *> argv;
    for (const auto &arg : args) {
      argv.push_back(const_cast<char *>(arg.c_str()));
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir_ / "etcd.log").string();
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      throw std::runtime_error("cannot start " + binary_.string());
    }
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  // Starting etcd takes a moment; the harness (not the store) waits for it.
  StoreResult<std::unique_ptr<EtcdStore>> wait_until_ready(const EtcdStoreOptions &options) {
    const auto give_up = std::chrono::steady_clock::now() + 15s;
    for (;;) {
      auto opened = EtcdStore::open(options);
      if (opened.ok() || std::chrono::steady_clock::now() > give_up) {
        if (!opened.ok()) {
          throw std::runtime_error("etcd did not start; see " + (dir_ / "etcd.log").string() +
                                   ": " + opened.error().describe());
        }
        return opened;
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  const std::filesystem::path binary_;
  const std::filesystem::path dir_;
  const int client_port_;
  const int peer_port_;
  pid_t pid_ = -1;
  std::unique_ptr<EtcdStore> store_;
};

std::unique_ptr<StoreHarness> make_etcd_harness() {
  const auto binary = find_etcd();
  if (binary.empty()) {
    return nullptr; // the fixture skips: etcd-server is not installed
  }
  return std::make_unique<EtcdHarness>(binary);
}

} // namespace

INSTANTIATE_TEST_SUITE_P(Etcd, StateStoreConformance,
                         ::testing::Values(HarnessFactory{"Etcd", make_etcd_harness}),
                         harness_name);

} // namespace berth::cluster::testing
