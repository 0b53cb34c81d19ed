#include "etcd_process.hpp"

#include "support/subprocess.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

extern char **environ;

namespace berth::cluster::testing {
namespace {

std::filesystem::path find_etcd_binary() {
  for (const char *candidate : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (::access(candidate, X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

// A port the kernel just handed out and nobody holds; etcd binds it next.
int pick_free_port() {
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

} // namespace

std::filesystem::path EtcdProcess::find_binary() {
  return find_etcd_binary();
}

int EtcdProcess::free_port() {
  return pick_free_port();
}

EtcdProcess::EtcdProcess(std::filesystem::path binary) : EtcdProcess(std::move(binary), {}, {}) {}

EtcdProcess::EtcdProcess(std::filesystem::path binary, std::filesystem::path cert_file,
                         std::filesystem::path key_file)
    : binary_(std::move(binary)), dir_(make_data_dir()), client_port_(free_port()),
      peer_port_(free_port()), cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {
  start();
}

void make_test_certificates(const std::filesystem::path &dir) {
  const auto at = [&](const char *name) { return (dir / name).string(); };
  std::ofstream(at("san.ext")) << "subjectAltName=IP:127.0.0.1\n";
  const std::vector<std::vector<std::string>> steps{
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", at("ca.key"), "-out", at("ca.crt"),
       "-days", "1", "-subj", "/CN=berth-test-ca"},
      {"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=127.0.0.1"},
      {"/usr/bin/openssl", "x509", "-req", "-in", at("server.csr"), "-CA", at("ca.crt"), "-CAkey",
       at("ca.key"), "-CAcreateserial", "-out", at("server.crt"), "-days", "1", "-extfile",
       at("san.ext")}};
  for (const auto &step : steps) {
    const auto done = berth::testing::run_process(step);
    if (done.exit_code != 0) {
      throw std::runtime_error("openssl " + step[1] + " failed: " + done.err);
    }
  }
}

EtcdProcess::~EtcdProcess() {
  kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string EtcdProcess::client_url() const {
  return (cert_file_.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
         std::to_string(client_port_);
}

void EtcdProcess::start() {
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args{binary_.string(),
                                "--name=berth-test",
                                "--data-dir=" + (dir_ / "data").string(),
                                "--listen-client-urls=" + client_url(),
                                "--advertise-client-urls=" + client_url(),
                                "--listen-peer-urls=" + peer,
                                "--initial-advertise-peer-urls=" + peer,
                                "--initial-cluster=berth-test=" + peer,
                                "--experimental-watch-progress-notify-interval=200ms",
                                "--log-outputs=stderr"};
  if (!cert_file_.empty()) {
    args.push_back("--cert-file=" + cert_file_.string());
    args.push_back("--key-file=" + key_file_.string());
  }
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

void EtcdProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

} // namespace berth::cluster::testing
