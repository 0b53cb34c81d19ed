// A private etcd for tests: Debian's etcd-server 3.4 on free 127.0.0.1
// ports, its data in a fresh directory under /dev/shm (tmpfs, so its fsyncs
// cost nothing), killed by its PID. Never touches an etcd it did not start.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace berth::cluster {
class EtcdStore;
}

namespace berth::cluster::testing {

// A CA and a certificate for 127.0.0.1 signed by it, made with the openssl
// command in dir: ca.crt, server.crt, server.key.
void make_test_certificates(const std::filesystem::path &dir);

class EtcdProcess {
public:
  // The etcd binary, or an empty path when etcd-server is not installed.
  static std::filesystem::path find_binary();
  // A port the kernel just handed out and nobody holds.
  static int free_port();

  explicit EtcdProcess(std::filesystem::path binary);
  // Serves clients over TLS with this certificate: client_url() is https.
  EtcdProcess(std::filesystem::path binary, std::filesystem::path cert_file,
              std::filesystem::path key_file);
  ~EtcdProcess();
  EtcdProcess(const EtcdProcess &) = delete;
  EtcdProcess &operator=(const EtcdProcess &) = delete;
  EtcdProcess(EtcdProcess &&) = delete;
  EtcdProcess &operator=(EtcdProcess &&) = delete;

  // Starts etcd on the same data and ports as before; returns at once (the
  // caller waits until it answers).
  void start();
  // SIGKILL, no graceful shutdown: what a crash looks like to clients.
  void kill();
  [[nodiscard]] std::string client_url() const;
  [[nodiscard]] std::filesystem::path log_path() const { return dir_ / "etcd.log"; }

private:
  const std::filesystem::path binary_;
  const std::filesystem::path dir_;
  const int client_port_;
  const int peer_port_;
  const std::filesystem::path cert_file_;
  const std::filesystem::path key_file_;
  pid_t pid_ = -1;
};

// Opens a store on endpoints once etcd answers (up to 15 s); throws with a
// pointer to etcd's log if it never does.
std::unique_ptr<EtcdStore> wait_for_etcd(const EtcdProcess &etcd,
                                         std::vector<std::string> endpoints);

} // namespace berth::cluster::testing
