// A private `berthd server --no-agent` for tests: 127.0.0.1 on a free port,
// its data in a fresh directory, stopped (SIGTERM, then SIGKILL) by its PID
// when the test ends, pass or fail.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::cluster::testing {

class BerthdProcess {
public:
  // store: "sqlite" or "etcd=URL".
  explicit BerthdProcess(std::string store);
  ~BerthdProcess();
  BerthdProcess(const BerthdProcess &) = delete;
  BerthdProcess &operator=(const BerthdProcess &) = delete;
  BerthdProcess(BerthdProcess &&) = delete;
  BerthdProcess &operator=(BerthdProcess &&) = delete;

  // Starts the server on the same data dir and port; returns once it accepts
  // connections (throws with its log after 20 s).
  void start();
  // SIGTERM and wait: the graceful stop.
  void stop();

  [[nodiscard]] const std::filesystem::path &data_dir() const { return data_dir_; }
  [[nodiscard]] std::filesystem::path kubeconfig() const { return data_dir_ / "kubeconfig.yaml"; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const;
  [[nodiscard]] std::string log() const;

private:
  const std::string store_;
  const std::filesystem::path dir_;
  const std::filesystem::path data_dir_;
  const int port_;
  pid_t pid_ = -1;
};

// The kubectl binaries to test with: Debian's 1.20 unpacked in the build
// tree by scripts/install-deps.sh (or installed) and /usr/bin/kubectl when
// it is another one. Each entry: a short label and the path.
struct KubectlClient {
  std::string label;
  std::filesystem::path path;
};
std::vector<KubectlClient> available_kubectls();

} // namespace berth::cluster::testing
