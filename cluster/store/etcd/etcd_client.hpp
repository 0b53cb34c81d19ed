// A small HTTP/1.1 client for etcd's v3 JSON gateway over Boost.Beast:
// POSTs of one JSON object, kept-alive connections, TLS for https endpoints
// (the server's certificate verified, host name included), and fail-over
// across the cluster's endpoints. Every operation runs on its own io_context with a
// deadline, so a hung etcd costs a timeout, never a stuck thread.
#pragma once

#include "cluster/store/state_store.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace berth::cluster::etcd {

struct Endpoint {
  std::string url; // as given, for messages
  std::string host;
  std::string port;
  bool tls = false; // https: verified against TlsFiles::ca_file
};

// Parses "http://HOST:PORT" and "https://HOST:PORT" URLs.
StoreResult<std::vector<Endpoint>> parse_endpoints(const std::vector<std::string> &urls);

class Connection;

// For https endpoints: the CA that signed etcd's certificate (empty: the
// system's trust store) and, if etcd wants client certificates, ours.
struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// One streaming reply (a watch): newline-separated JSON messages.
class MessageStream {
public:
  explicit MessageStream(std::unique_ptr<Connection> connection);
  ~MessageStream();
  MessageStream(const MessageStream &) = delete;
  MessageStream &operator=(const MessageStream &) = delete;
  MessageStream(MessageStream &&) = delete;
  MessageStream &operator=(MessageStream &&) = delete;

  // Blocks for the next message; an error when the connection ends or
  // stop() was called.
  StoreResult<nlohmann::json> next();
  // Makes a next() blocked in another thread return. Thread-safe.
  void stop();
  [[nodiscard]] const std::string &endpoint() const;

private:
  std::unique_ptr<Connection> connection_;
  std::string pending_; // bytes received after the last complete message
};

class Client {
public:
  Client(std::vector<Endpoint> endpoints, std::chrono::milliseconds timeout,
         std::shared_ptr<boost::asio::ssl::context> tls);
  ~Client();
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  Client(Client &&) = delete;
  Client &operator=(Client &&) = delete;

  // POSTs body to path and returns the reply, or the gateway's error mapped
  // by reply_error. Tries each endpoint once, starting with the last one that
  // worked. Thread-safe.
  StoreResult<nlohmann::json> call(std::string_view path, const nlohmann::json &body);
  // Opens a streaming POST (a watch) with the same fail-over.
  StoreResult<std::unique_ptr<MessageStream>> stream(std::string_view path,
                                                     const nlohmann::json &body);

  [[nodiscard]] std::string endpoint_list() const;

private:
  std::unique_ptr<Connection> take_connection(std::size_t endpoint);
  std::unique_ptr<Connection> new_connection(std::size_t endpoint);
  void give_back(std::unique_ptr<Connection> connection);

  const std::vector<Endpoint> endpoints_;
  const std::chrono::milliseconds timeout_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  std::atomic<std::size_t> preferred_{0};
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// A client for endpoints; fails with invalid_argument if the TLS files
// cannot be loaded.
StoreResult<std::shared_ptr<Client>> make_client(std::vector<Endpoint> endpoints,
                                                 std::chrono::milliseconds timeout,
                                                 const TlsFiles &files);

} // namespace berth::cluster::etcd
