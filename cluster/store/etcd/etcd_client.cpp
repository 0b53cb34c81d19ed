#include "cluster/store/etcd/etcd_client.hpp"

#include "cluster/store/etcd/etcd_json.hpp"

#include "cluster/store/etcd/etcd_connection.hpp"

#include <poll.h>

#include <algorithm>

namespace berth::cluster::etcd {

StoreResult<std::vector<Endpoint>> parse_endpoints(const std::vector<std::string> &urls) {
  std::vector<Endpoint> endpoints;
  for (const auto &url : urls) {
    const bool tls = url.starts_with("https://");
    const std::string_view scheme = tls ? "https://" : "http://";
    const std::string_view rest =
        std::string_view(url).substr(url.starts_with(scheme) ? scheme.size() : 0);
    const auto colon = rest.rfind(':');
    const auto host = rest.substr(0, colon);
    const auto port = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
    if (host.empty() || port.empty() || port.find('/') != std::string_view::npos) {
      return store_error(StoreErrc::invalid_argument,
                         "an etcd endpoint must look like http://HOST:PORT or https://HOST:PORT",
                         url);
    }
    endpoints.push_back(Endpoint{url, std::string(host), std::string(port), tls});
  }
  if (endpoints.empty()) {
    return store_error(StoreErrc::invalid_argument, "no etcd endpoint given");
  }
  return endpoints;
}

MessageStream::MessageStream(std::unique_ptr<Connection> connection)
    : connection_(std::move(connection)) {
  // A watch streams for as long as it lives.
  connection_->parser.body_limit(boost::none);
}

MessageStream::~MessageStream() = default;

const std::string &MessageStream::endpoint() const {
  return connection_->endpoint.url;
}

void MessageStream::stop() {
  connection_->stop();
}

StoreResult<nlohmann::json> MessageStream::next() {
  Connection &c = *connection_;
  for (;;) {
    if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
      const std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      auto message = nlohmann::json::parse(line, nullptr, false);
      if (message.is_discarded()) {
        return store_error(StoreErrc::internal, "etcd sent a watch message that is not JSON",
                           c.endpoint.url);
      }
      return message;
    }
    if (c.stopped) {
      return store_error(StoreErrc::closed, "the watch was stopped", c.endpoint.url);
    }
    if (c.parser.is_done()) {
      return store_error(StoreErrc::unavailable, "etcd ended the watch stream", c.endpoint.url);
    }
    const error_code ec = c.read_stream_part();
    if (ec && ec != http::error::need_buffer) {
      return store_error(c.stopped ? StoreErrc::closed : StoreErrc::unavailable,
                         "lost the watch stream: " + ec.message(), c.endpoint.url);
    }
    if (c.parser.is_header_done() && c.parser.get().result() != http::status::ok) {
      return store_error(StoreErrc::unavailable,
                         "etcd refused the watch with HTTP " +
                             std::to_string(c.parser.get().result_int()),
                         c.endpoint.url);
    }
    pending_ += c.parser.get().body();
    c.parser.get().body().clear();
  }
}

StoreResult<std::shared_ptr<Client>> make_client(std::vector<Endpoint> endpoints,
                                                 std::chrono::milliseconds timeout,
                                                 const TlsFiles &files) {
  std::shared_ptr<asio::ssl::context> tls;
  const bool any_tls =
      std::any_of(endpoints.begin(), endpoints.end(), [](const auto &e) { return e.tls; });
  if (any_tls) {
    try {
      tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      tls->set_verify_mode(asio::ssl::verify_peer);
      if (files.ca_file.empty()) {
        tls->set_default_verify_paths();
      } else {
        tls->load_verify_file(files.ca_file);
      }
      if (!files.cert_file.empty()) {
        tls->use_certificate_chain_file(files.cert_file);
        tls->use_private_key_file(files.key_file, asio::ssl::context::pem);
      }
    } catch (const boost::system::system_error &e) {
      return store_error(StoreErrc::invalid_argument,
                         std::string("cannot set up TLS: ") + e.what() +
                             "; check the CA, certificate and key files",
                         files.ca_file + " " + files.cert_file + " " + files.key_file);
    }
  }
  return std::make_shared<Client>(std::move(endpoints), timeout, std::move(tls));
}

Client::Client(std::vector<Endpoint> endpoints, std::chrono::milliseconds timeout,
               std::shared_ptr<asio::ssl::context> tls)
    : endpoints_(std::move(endpoints)), timeout_(timeout), tls_(std::move(tls)) {}

Client::~Client() = default;

std::string Client::endpoint_list() const {
  std::string list;
  for (const auto &endpoint : endpoints_) {
    list += (list.empty() ? "" : ", ") + endpoint.url;
  }
  return list;
}

namespace {

// An idle kept-alive connection has nothing to read; if it has (EOF, most
// likely: etcd restarted or closed it), a request sent on it would be lost.
bool still_open(Connection &connection) {
  pollfd poll_fd{connection.native_handle(), POLLIN | POLLRDHUP, 0};
  return ::poll(&poll_fd, 1, 0) == 0;
}

} // namespace

std::unique_ptr<Connection> Client::take_connection(std::size_t endpoint) {
  {
    const std::lock_guard lock(pool_mutex_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      if ((*it)->index != endpoint) {
        ++it;
        continue;
      }
      auto connection = std::move(*it);
      it = idle_.erase(it);
      if (still_open(*connection)) {
        connection->reused = true;
        return connection;
      }
    }
  }
  return new_connection(endpoint);
}

std::unique_ptr<Connection> Client::new_connection(std::size_t endpoint) {
  return std::make_unique<Connection>(endpoints_[endpoint], endpoint,
                                      endpoints_[endpoint].tls ? tls_.get() : nullptr);
}

void Client::give_back(std::unique_ptr<Connection> connection) {
  const std::lock_guard lock(pool_mutex_);
  idle_.push_back(std::move(connection));
}

namespace {

// Sends a request on a fresh or reused connection. A reused connection that
// fails to send was closed by etcd while idle: the request never left, so
// one retry on a new connection is safe.
error_code send_request(Connection &connection, std::string_view path, const nlohmann::json &body,
                        std::chrono::milliseconds timeout) {
  if (!connection.is_open()) {
    if (auto ec = connection.connect(timeout)) {
      return ec;
    }
  }
  return connection.send(path, body, timeout);
}

} // namespace

StoreResult<nlohmann::json> Client::call(std::string_view path, const nlohmann::json &body) {
  std::string failures;
  const std::size_t first = preferred_.load();
  for (std::size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    const std::size_t endpoint = (first + attempt) % endpoints_.size();
    auto connection = take_connection(endpoint);
    error_code ec = send_request(*connection, path, body, timeout_);
    if (ec && connection->reused) {
      connection = new_connection(endpoint);
      ec = send_request(*connection, path, body, timeout_);
    }
    http::response<http::string_body> response;
    if (!ec) {
      ec = connection->read_response(response, timeout_);
    }
    if (ec) {
      failures += (failures.empty() ? "" : "; ") + endpoints_[endpoint].url + ": " + ec.message();
      continue;
    }
    preferred_ = endpoint;
    auto reply = nlohmann::json::parse(response.body(), nullptr, false);
    if (response.keep_alive()) {
      give_back(std::move(connection));
    }
    if (reply.is_discarded()) {
      return store_error(StoreErrc::internal, "etcd answered with something other than JSON",
                         endpoints_[endpoint].url + std::string(path));
    }
    if (response.result() != http::status::ok || reply.contains("error")) {
      return reply_error(reply, endpoints_[endpoint].url + std::string(path));
    }
    return reply;
  }
  return store_error(StoreErrc::unavailable,
                     "cannot reach etcd (" + failures + "); check that etcd is running there",
                     endpoint_list());
}

StoreResult<std::unique_ptr<MessageStream>> Client::stream(std::string_view path,
                                                           const nlohmann::json &body) {
  std::string failures;
  const std::size_t first = preferred_.load();
  for (std::size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    const std::size_t endpoint = (first + attempt) % endpoints_.size();
    auto connection = new_connection(endpoint);
    if (auto ec = send_request(*connection, path, body, timeout_)) {
      failures += (failures.empty() ? "" : "; ") + endpoints_[endpoint].url + ": " + ec.message();
      continue;
    }
    preferred_ = endpoint;
    return std::make_unique<MessageStream>(std::move(connection));
  }
  return store_error(StoreErrc::unavailable,
                     "cannot reach etcd (" + failures + "); check that etcd is running there",
                     endpoint_list());
}

} // namespace berth::cluster::etcd
