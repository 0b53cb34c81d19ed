#include "berthd_process.hpp"

#include "cluster/store/etcd_process.hpp"
#include "support/temp_dir.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>
#include <vector>

extern char **environ;

namespace berth::cluster::testing {
namespace {

std::filesystem::path make_dir() {
  std::string pattern = "/tmp/berth-apiserver-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + " failed");
  }
  return pattern;
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected =
      ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

bool exited(pid_t pid) {
  return ::waitpid(pid, nullptr, WNOHANG) == pid;
}

} // namespace

BerthdProcess::BerthdProcess(std::string store)
    : store_(std::move(store)), dir_(make_dir()), data_dir_(dir_ / "data"),
      port_(EtcdProcess::free_port()) {
  start();
}

BerthdProcess::~BerthdProcess() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string BerthdProcess::url() const {
  return "https://127.0.0.1:" + std::to_string(port_);
}

std::string BerthdProcess::log() const {
  return berth::testing::read_file(dir_ / "berthd.log");
}

void BerthdProcess::start() {
  const std::vector<std::string> args{
      BERTHD_EXECUTABLE,  "server",   "--no-agent",
      "--store",          store_,     "--data-dir",
      data_dir_.string(), "--listen", "127.0.0.1:" + std::to_string(port_)};
  std::vector<char *> argv;
  for (const auto &arg : args) {
    argv.push_back(const_cast<char *>(arg.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = (dir_ / "berthd.log").string();
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error(std::string("cannot start ") + BERTHD_EXECUTABLE);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!accepts_connections(port_)) {
    if (exited(pid_) || std::chrono::steady_clock::now() > deadline) {
      pid_ = -1;
      throw std::runtime_error("berthd server did not start; its log:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void BerthdProcess::stop() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!exited(pid_)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

std::vector<KubectlClient> available_kubectls() {
  std::vector<KubectlClient> clients;
  const std::filesystem::path unpacked =
      std::filesystem::path(BERTH_BINARY_DIR) / "deps/kubernetes-client/usr/bin/kubectl";
  if (::access(unpacked.c_str(), X_OK) == 0) {
    clients.push_back({"kubectl120", unpacked});
  }
  // Debian's package installs 1.20 here; on these machines it is usually
  // Google's dispatcher, which runs a bundled kubectl of the server's minor.
  if (::access("/usr/bin/kubectl", X_OK) == 0) {
    clients.push_back({"system", "/usr/bin/kubectl"});
  }
  return clients;
}

} // namespace berth::cluster::testing
