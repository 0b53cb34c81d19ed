// An HTTP/1.1 server on Boost.Beast, shared by berthd's two faces: the
// cluster API server (HTTPS on TCP) and the engine API (a unix socket).
//
// One thread per connection, blocking I/O, at most 4096 connections. The API
// server's connections are mostly long watches that block on the state
// store, so a fixed pool would be exhausted by watchers; a thread per
// connection keeps a slow handler from stalling anyone else, at the cost of a
// stack per open connection.
// stop() shuts every socket down, which wakes blocked reads and writes, and
// waits for the connection threads; streaming handlers see
// ChunkWriter::stopping() and return.
#pragma once

#include "http/message.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace berth::http {

struct TlsFiles {
  std::filesystem::path certificate_chain; // PEM, the server's first
  std::filesystem::path private_key;       // PEM
};

class Server {
public:
  explicit Server(Handler handler);
  ~Server(); // stops
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;
  Server(Server &&) = delete;
  Server &operator=(Server &&) = delete;

  // Listens on host:port (port 0: any free one) and serves HTTPS when tls is
  // given. Returns the port bound. Throws std::runtime_error naming the
  // address on failure (in use, bad address, unreadable key).
  int listen_tcp(const std::string &host, int port, const TlsFiles *tls);
  // Listens on a unix socket at path, replacing a stale socket file there,
  // with the file mode given (access control is the file's).
  void listen_unix(const std::filesystem::path &path, std::filesystem::perms mode);

  // Closes the listeners and every connection, then waits for their threads.
  void stop();

private:
  struct State;
  std::shared_ptr<State> state_;
};

} // namespace berth::http
