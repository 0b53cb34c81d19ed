// What a handler sees and returns. Kept free of Beast so that the API server
// and the engine API code never include Boost.Asio headers: only server.cpp
// does, which keeps their compile times down.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::http {

struct Request {
  std::string method;                         // "GET", "POST", ...
  std::string target;                         // as sent: path and query, percent-encoded
  std::string path;                           // percent-decoded, without the query
  std::map<std::string, std::string> query;   // decoded; a repeated key keeps the last value
  std::map<std::string, std::string> headers; // names in lower case
  std::map<std::string, std::string> params;  // {name} segments the router matched
  std::string body;

  // "" when absent.
  [[nodiscard]] std::string header(const std::string &lower_case_name) const;
  [[nodiscard]] std::string query_value(const std::string &key) const;
  [[nodiscard]] std::string param(const std::string &name) const;
};

// Writes one chunk of a streamed (chunked) response. Returns false once the
// client is gone or the server is stopping: the producer should return then.
class ChunkWriter {
public:
  virtual ~ChunkWriter() = default;
  ChunkWriter() = default;
  ChunkWriter(const ChunkWriter &) = delete;
  ChunkWriter &operator=(const ChunkWriter &) = delete;
  ChunkWriter(ChunkWriter &&) = delete;
  ChunkWriter &operator=(ChunkWriter &&) = delete;

  virtual bool write(std::string_view chunk) = 0;
  // True once the server is stopping or the client has hung up; a producer
  // waiting for data polls it.
  [[nodiscard]] virtual bool stopping() const = 0;
};

// A connection handed over to a handler after the response head (Docker's
// attach and exec start: "hijacking"). The handler owns the bytes both ways
// until it returns; the server then closes the connection. Plain sockets
// only: over TLS a handler is refused with 500.
class RawConnection {
public:
  virtual ~RawConnection() = default;
  RawConnection() = default;
  RawConnection(const RawConnection &) = delete;
  RawConnection &operator=(const RawConnection &) = delete;
  RawConnection(RawConnection &&) = delete;
  RawConnection &operator=(RawConnection &&) = delete;

  // The socket, to poll, read and write directly (the server does not touch
  // it while the handler runs); shutdown() by the server wakes it on stop.
  [[nodiscard]] virtual int fd() const = 0;
  // Bytes the client sent after the request that the server had already
  // read; the handler treats them as the first input.
  virtual std::string take_buffered() = 0;
  [[nodiscard]] virtual bool stopping() const = 0;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is ignored and the response is sent with chunked
  // transfer encoding, each write() one chunk (a watch, a log stream).
  std::function<void(ChunkWriter &)> stream;
  // When set, the head is sent without a length (101 Switching Protocols
  // when the client asked to upgrade, else status), then the connection is
  // the handler's (see RawConnection).
  std::function<void(RawConnection &)> hijack;
};

using Handler = std::function<Response(Request &)>;

// "%2Fa+b" -> "/a b" when plus_is_space (query strings), "/a+b" otherwise.
std::string percent_decode(std::string_view text, bool plus_is_space);
// Splits a target into path and decoded query parameters.
void parse_target(std::string_view target, std::string &path,
                  std::map<std::string, std::string> &query);

} // namespace berth::http
