// The cluster's API server: HTTPS with bearer tokens in front of the REST
// handlers, on a state store it opens from a spec ("sqlite" in the data dir,
// or "etcd=URL[,URL...]"). What `berthd server` runs.
#pragma once

#include "cluster/api/credentials.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace berth::cluster {
class StateStore;
}

namespace berth::http {
class Server;
}

namespace berth::cluster::api {

class RestHandlers;

struct ApiServerOptions {
  std::filesystem::path data_dir;
  std::string listen_host = "127.0.0.1";
  int listen_port = 6443;
  std::string store = "sqlite";
  std::string berth_version; // shown in /version's gitVersion
};

// "sqlite" or "etcd=URL[,URL...]"; throws std::runtime_error saying what is
// wrong with the spec or why the store cannot be opened.
std::unique_ptr<StateStore> open_store(const std::string &spec,
                                       const std::filesystem::path &data_dir);

class ApiServer {
public:
  // Opens the store, makes or loads the credentials, creates the default
  // namespaces, writes the kubeconfig and starts serving. Throws
  // std::runtime_error with a message for the user.
  explicit ApiServer(ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer &) = delete;
  ApiServer &operator=(const ApiServer &) = delete;
  ApiServer(ApiServer &&) = delete;
  ApiServer &operator=(ApiServer &&) = delete;

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] const std::filesystem::path &kubeconfig() const noexcept { return kubeconfig_; }
  // Stops accepting, ends every connection and watch; idempotent.
  void stop();

private:
  struct Routes;

  ApiServerOptions options_;
  std::unique_ptr<StateStore> store_;
  Credentials credentials_;
  std::unique_ptr<RestHandlers> rest_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<http::Server> http_;
  int port_ = 0;
  std::filesystem::path kubeconfig_;
};

} // namespace berth::cluster::api
