#include "cluster/store/etcd/etcd_client.hpp"

#include "cluster/store/etcd/etcd_json.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>

#include <optional>

namespace berth::cluster::etcd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// One TCP connection to one endpoint with its own io_context: operations are
// started async and run to completion on the calling thread, which is how a
// deadline (tcp_stream's expiry) applies to an otherwise blocking call.
class Connection {
public:
  Connection(const Endpoint &endpoint, std::size_t index) : endpoint(endpoint), index(index) {}

  template <class Start>
  error_code run(std::optional<std::chrono::milliseconds> timeout, Start &&start) {
    if (timeout) {
      stream.expires_after(*timeout);
    } else {
      stream.expires_never();
    }
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto &&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  error_code connect(std::chrono::milliseconds timeout) {
    error_code ec;
    const auto addresses = asio::ip::tcp::resolver(io).resolve(endpoint.host, endpoint.port, ec);
    if (ec) {
      return ec;
    }
    return run(timeout, [&](auto handler) { stream.async_connect(addresses, handler); });
  }

  error_code send(std::string_view path, const nlohmann::json &body,
                  std::optional<std::chrono::milliseconds> timeout) {
    http::request<http::string_body> request{http::verb::post, std::string(path), 11};
    request.set(http::field::host, endpoint.host + ":" + endpoint.port);
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = body.dump();
    request.prepare_payload();
    return run(timeout, [&](auto handler) { http::async_write(stream, request, handler); });
  }

  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  const Endpoint &endpoint;
  const std::size_t index;
  bool reused = false;
  std::atomic<bool> stopped{false};
  http::response_parser<http::string_body> parser;
};

StoreResult<std::vector<Endpoint>> parse_endpoints(const std::vector<std::string> &urls) {
  std::vector<Endpoint> endpoints;
  for (const auto &url : urls) {
    constexpr std::string_view kScheme = "http://";
    if (url.starts_with("https://")) {
      return store_error(StoreErrc::invalid_argument,
                         "TLS to etcd is not supported yet; use an http:// endpoint on a "
                         "trusted network",
                         url);
    }
    const std::string_view rest =
        std::string_view(url).substr(url.starts_with(kScheme) ? kScheme.size() : 0);
    const auto colon = rest.rfind(':');
    const auto host = rest.substr(0, colon);
    const auto port = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
    if (host.empty() || port.empty() || port.find('/') != std::string_view::npos) {
      return store_error(StoreErrc::invalid_argument,
                         "an etcd endpoint must look like http://HOST:PORT", url);
    }
    endpoints.push_back(Endpoint{url, std::string(host), std::string(port)});
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
  connection_->stopped = true;
  // Posted, so that it runs on the reading thread's io_context even if that
  // thread has not entered run() yet.
  asio::post(connection_->io, [connection = connection_.get()] {
    error_code ignored;
    connection->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    connection->stream.cancel();
  });
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
    const error_code ec = c.run(std::nullopt, [&](auto handler) {
      if (!c.parser.is_header_done()) {
        http::async_read_header(c.stream, c.buffer, c.parser, handler);
      } else {
        http::async_read_some(c.stream, c.buffer, c.parser, handler);
      }
    });
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

Client::Client(std::vector<Endpoint> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout) {}

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
  pollfd poll_fd{connection.stream.socket().native_handle(), POLLIN | POLLRDHUP, 0};
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
  return std::make_unique<Connection>(endpoints_[endpoint], endpoint);
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
  if (!connection.stream.socket().is_open()) {
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
      connection = std::make_unique<Connection>(endpoints_[endpoint], endpoint);
      ec = send_request(*connection, path, body, timeout_);
    }
    http::response<http::string_body> response;
    if (!ec) {
      ec = connection->run(timeout_, [&](auto handler) {
        http::async_read(connection->stream, connection->buffer, response, handler);
      });
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
    auto connection = std::make_unique<Connection>(endpoints_[endpoint], endpoint);
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
