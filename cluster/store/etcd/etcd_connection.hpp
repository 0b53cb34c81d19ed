// One HTTP/1.1 connection to one etcd endpoint, plain or TLS, for
// etcd_client.cpp only. It has its own io_context: operations are started
// async and run to completion on the calling thread, which is how a deadline
// (tcp_stream's expiry) applies to what is, for the caller, a blocking call.
#pragma once

#include "cluster/store/etcd/etcd_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <optional>

namespace berth::cluster::etcd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

class Connection {
public:
  // tls: the client's TLS context when the endpoint is https, else null.
  Connection(const Endpoint &endpoint, std::size_t index, asio::ssl::context *tls)
      : endpoint(endpoint), index(index) {
    if (tls != nullptr) {
      tls_.emplace(io_, *tls);
    }
  }

  template <class Start>
  error_code run(std::optional<std::chrono::milliseconds> timeout, Start &&start) {
    if (timeout) {
      lowest().expires_after(*timeout);
    } else {
      lowest().expires_never();
    }
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto &&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }

  error_code connect(std::chrono::milliseconds timeout) {
    error_code ec;
    const auto addresses = asio::ip::tcp::resolver(io_).resolve(endpoint.host, endpoint.port, ec);
    if (ec) {
      return ec;
    }
    ec = run(timeout, [&](auto handler) { lowest().async_connect(addresses, handler); });
    if (ec || !tls_) {
      return ec;
    }
    // SNI, and the certificate must name the host we dialled (name or IP).
    SSL_set_tlsext_host_name(tls_->native_handle(), endpoint.host.c_str());
    tls_->set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
    return run(timeout, [&](auto handler) {
      tls_->async_handshake(asio::ssl::stream_base::client, handler);
    });
  }

  error_code send(std::string_view path, const nlohmann::json &body,
                  std::optional<std::chrono::milliseconds> timeout) {
    http::request<http::string_body> request{http::verb::post, std::string(path), 11};
    request.set(http::field::host, endpoint.host + ":" + endpoint.port);
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = body.dump();
    request.prepare_payload();
    return run(timeout, [&](auto handler) {
      with_stream([&](auto &stream) { http::async_write(stream, request, handler); });
    });
  }

  error_code read_response(http::response<http::string_body> &response,
                           std::chrono::milliseconds timeout) {
    return run(timeout, [&](auto handler) {
      with_stream([&](auto &stream) { http::async_read(stream, buffer_, response, handler); });
    });
  }

  // For a streaming reply: the header first, then whatever body has arrived.
  error_code read_stream_part() {
    return run(std::nullopt, [&](auto handler) {
      with_stream([&](auto &stream) {
        if (!parser.is_header_done()) {
          http::async_read_header(stream, buffer_, parser, handler);
        } else {
          http::async_read_some(stream, buffer_, parser, handler);
        }
      });
    });
  }

  [[nodiscard]] bool is_open() { return lowest().socket().is_open(); }
  [[nodiscard]] int native_handle() { return lowest().socket().native_handle(); }

  // Makes a read blocked in another thread return. Posted, so that it runs
  // on this connection's io_context even if no thread is in run() yet.
  void stop() {
    stopped = true;
    asio::post(io_, [this] {
      error_code ignored;
      lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      lowest().cancel();
    });
  }

  const Endpoint &endpoint;
  const std::size_t index;
  bool reused = false;
  std::atomic<bool> stopped{false};
  http::response_parser<http::string_body> parser;

private:
  beast::tcp_stream &lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : plain_; }
  template <class Operation> void with_stream(Operation &&operation) {
    if (tls_) {
      operation(*tls_);
    } else {
      operation(plain_);
    }
  }

  asio::io_context io_;
  beast::tcp_stream plain_{io_};
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

} // namespace berth::cluster::etcd
