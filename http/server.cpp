#include "http/server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace berth::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace wire = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using unix_socket = asio::local::stream_protocol;

namespace {

// Bodies beyond this are refused: the largest Kubernetes object etcd takes
// is 1.5 MiB, and nothing berth serves needs more.
constexpr std::uint64_t kBodyLimit = 8U << 20U;
// Open connections beyond this are closed as soon as they are accepted, so a
// flood of idle clients cannot make the server start unbounded threads.
constexpr int kMaxConnections = 4096;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Request to_request(const wire::request<wire::string_body> &message) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  parse_target(request.target, request.path, request.query);
  for (const auto &field : message) {
    const auto name = field.name_string();
    std::string &value = request.headers[lower({name.data(), name.size()})];
    value += value.empty() ? std::string(field.value()) : ", " + std::string(field.value());
  }
  request.body = message.body();
  return request;
}

Response call_handler(const Handler &handler, Request &request) {
  try {
    return handler(request);
  } catch (const std::exception &error) {
    Response response;
    response.status = 500;
    response.content_type = "text/plain";
    response.body = std::string("internal error: ") + error.what() + "\n";
    return response;
  }
}

template <class Message> void set_fields(Message &out, const Response &response) {
  out.set(wire::field::server, "berth");
  out.set(wire::field::content_type, response.content_type);
  for (const auto &[name, value] : response.headers) {
    out.set(name, value);
  }
}

template <class Stream> int socket_fd(Stream &stream) {
  if constexpr (requires { stream.next_layer(); }) {
    return stream.next_layer().native_handle();
  } else {
    return stream.native_handle();
  }
}

// True when the client shut its side down (or the connection broke): a
// streaming producer with nothing to write learns of it only this way.
bool peer_closed(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

template <class Stream> class StreamChunkWriter final : public ChunkWriter {
public:
  StreamChunkWriter(Stream &stream, const std::atomic<bool> &stopping)
      : stream_(stream), stopping_(stopping) {}

  bool write(std::string_view chunk) override {
    if (failed_ || stopping()) {
      return false;
    }
    error_code ec;
    asio::write(stream_, wire::make_chunk(asio::buffer(chunk.data(), chunk.size())), ec);
    failed_ = static_cast<bool>(ec);
    return !failed_;
  }
  [[nodiscard]] bool stopping() const override {
    return stopping_.load() || peer_closed(socket_fd(stream_));
  }
  [[nodiscard]] bool failed() const { return failed_; }

private:
  Stream &stream_;
  const std::atomic<bool> &stopping_;
  bool failed_ = false;
};

// What the response must honour of the request it answers.
struct RequestLine {
  unsigned version = 11;
  bool keep_alive = false;
  bool head = false; // a HEAD request: no body
};

template <class Stream>
bool write_streamed(Stream &stream, Response &response, unsigned version,
                    const std::atomic<bool> &stopping) {
  wire::response<wire::empty_body> head{static_cast<wire::status>(response.status), version};
  set_fields(head, response);
  head.chunked(true);
  wire::response_serializer<wire::empty_body> serializer{head};
  error_code ec;
  wire::write_header(stream, serializer, ec);
  if (ec) {
    return false;
  }
  StreamChunkWriter<Stream> writer(stream, stopping);
  response.stream(writer);
  if (writer.failed()) {
    return false;
  }
  asio::write(stream, wire::make_chunk_last(), ec);
  return !ec;
}

// A HEAD answer: the head the GET would have, with its length, no body.
template <class Stream>
bool write_head_only(Stream &stream, wire::response<wire::string_body> &out) {
  out.content_length(out.body().size());
  wire::response_serializer<wire::string_body> serializer{out};
  error_code ec;
  wire::write_header(stream, serializer, ec);
  return !ec;
}

template <class Stream>
bool write_response(Stream &stream, Response &response, const RequestLine &line,
                    const std::atomic<bool> &stopping) {
  if (response.stream) {
    return write_streamed(stream, response, line.version, stopping);
  }
  wire::response<wire::string_body> out{static_cast<wire::status>(response.status), line.version};
  set_fields(out, response);
  out.keep_alive(line.keep_alive);
  if (line.head) {
    return write_head_only(stream, out);
  }
  out.body() = std::move(response.body);
  out.prepare_payload();
  error_code ec;
  wire::write(stream, out, ec);
  return !ec;
}

class SocketRawConnection final : public RawConnection {
public:
  SocketRawConnection(int fd, std::string buffered, const std::atomic<bool> &stopping)
      : fd_(fd), buffered_(std::move(buffered)), stopping_(stopping) {}
  [[nodiscard]] int fd() const override { return fd_; }
  std::string take_buffered() override { return std::exchange(buffered_, {}); }
  [[nodiscard]] bool stopping() const override { return stopping_.load(); }

private:
  int fd_;
  std::string buffered_;
  const std::atomic<bool> &stopping_;
};

// The head of a hijacked response, written by hand: Beast would add a
// length or a chunked encoding, and the stream that follows has neither.
std::string hijack_head(const Response &response, bool upgrade) {
  std::string head =
      upgrade ? "HTTP/1.1 101 UPGRADED\r\n"
              : "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(wire::obsolete_reason(static_cast<wire::status>(response.status))) +
                    "\r\n";
  head += "Content-Type: " + response.content_type + "\r\n";
  if (upgrade) {
    head += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
  }
  for (const auto &[name, value] : response.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  return head + "\r\n";
}

template <class Stream> constexpr bool kPlainSocket = !requires(Stream s) {
  s.next_layer();
};

template <class Stream>
void hand_over(Stream &stream, Response &response, const Request &request,
               beast::flat_buffer &buffer, const std::atomic<bool> &stopping) {
  if constexpr (kPlainSocket<Stream>) {
    const bool upgrade = !request.header("upgrade").empty();
    error_code ec;
    asio::write(stream, asio::buffer(hijack_head(response, upgrade)), ec);
    if (ec) {
      return;
    }
    const auto data = buffer.data();
    SocketRawConnection raw(stream.native_handle(),
                            std::string(static_cast<const char *>(data.data()), data.size()),
                            stopping);
    buffer.consume(buffer.size());
    response.hijack(raw);
  } else {
    Response refused;
    refused.status = 500;
    refused.content_type = "text/plain";
    refused.body = "this stream cannot be attached over TLS\n";
    write_response(stream, refused, {11, false, false}, stopping);
  }
}

} // namespace

struct Server::State {
  explicit State(Handler handler) : handler(std::move(handler)) {}

  Handler handler;
  std::atomic<bool> stopping{false};
  asio::io_context io; // sockets need one to belong to; it never runs
  std::mutex mutex;
  std::condition_variable idle;
  int active_connections = 0;
  std::uint64_t next_connection = 0;
  std::map<std::uint64_t, int> connection_fds; // shut down on stop
  std::vector<int> listener_fds;
  std::vector<std::thread> accept_threads;
  std::vector<std::unique_ptr<asio::ssl::context>> tls_contexts;
  std::vector<std::filesystem::path> socket_files;

  template <class Stream> void serve(Stream &stream) {
    beast::flat_buffer buffer;
    for (;;) {
      wire::request_parser<wire::string_body> parser;
      parser.body_limit(kBodyLimit);
      error_code ec;
      wire::read(stream, buffer, parser, ec);
      if (ec) {
        return;
      }
      const auto &message = parser.get();
      Request request = to_request(message);
      Response response = call_handler(handler, request);
      if (response.hijack) {
        hand_over(stream, response, request, buffer, stopping);
        return;
      }
      const RequestLine line{message.version(), message.keep_alive() && !stopping,
                             message.method() == wire::verb::head};
      if (!write_response(stream, response, line, stopping) || !line.keep_alive) {
        return;
      }
    }
  }

  // Runs a connection on its own thread; the socket's fd stays registered
  // until the thread is done with it, so stop() can wake it.
  template <class Socket>
  static void spawn(const std::shared_ptr<State> &self, Socket socket, asio::ssl::context *tls) {
    std::uint64_t id = 0;
    {
      const std::lock_guard lock(self->mutex);
      if (self->stopping || self->active_connections >= kMaxConnections) {
        return; // the socket closes as it goes out of scope
      }
      id = self->next_connection++;
      self->connection_fds[id] = socket.native_handle();
      ++self->active_connections;
    }
    std::thread([self, id, tls, socket = std::move(socket)]() mutable {
      if (tls == nullptr) {
        self->serve(socket);
      } else {
        asio::ssl::stream<Socket> stream(std::move(socket), *tls);
        error_code ec;
        stream.handshake(asio::ssl::stream_base::server, ec);
        if (!ec) {
          self->serve(stream);
        }
      }
      const std::lock_guard lock(self->mutex);
      self->connection_fds.erase(id);
      --self->active_connections;
      self->idle.notify_all();
    }).detach();
  }

  template <class Acceptor>
  static void accept_loop(const std::shared_ptr<State> &self, Acceptor acceptor,
                          asio::ssl::context *tls) {
    while (!self->stopping) {
      typename Acceptor::protocol_type::socket socket(self->io);
      error_code ec;
      acceptor.accept(socket, ec);
      if (self->stopping) {
        return;
      }
      if (ec) {
        // Out of descriptors or an aborted handshake: breathe, then go on.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      spawn(self, std::move(socket), tls);
    }
  }

  template <class Acceptor> void start_accepting(Acceptor acceptor, asio::ssl::context *tls) {
    const std::lock_guard lock(mutex);
    listener_fds.push_back(acceptor.native_handle());
    accept_threads.emplace_back([self = self_ptr(), tls, acceptor = std::move(acceptor)]() mutable {
      accept_loop(self, std::move(acceptor), tls);
    });
  }

  std::shared_ptr<State> self_ptr() { return weak_self.lock(); }
  std::weak_ptr<State> weak_self;
};

Server::Server(Handler handler) : state_(std::make_shared<State>(std::move(handler))) {
  state_->weak_self = state_;
}

Server::~Server() {
  stop();
}

namespace {

std::unique_ptr<asio::ssl::context> make_tls_context(const TlsFiles &files) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  error_code ec;
  context->use_certificate_chain_file(files.certificate_chain.string(), ec);
  if (ec) {
    throw std::runtime_error(files.certificate_chain.string() +
                             ": cannot load the certificate: " + ec.message());
  }
  context->use_private_key_file(files.private_key.string(), asio::ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error(files.private_key.string() + ": cannot load the key: " + ec.message());
  }
  return context;
}

tcp::endpoint resolve(asio::io_context &io, const std::string &host, int port) {
  error_code ec;
  const auto results = tcp::resolver(io).resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    throw std::runtime_error("listen on " + host + ":" + std::to_string(port) +
                             ": cannot resolve the host: " + ec.message());
  }
  return results.begin()->endpoint();
}

} // namespace

int Server::listen_tcp(const std::string &host, int port, const TlsFiles *tls) {
  asio::ssl::context *context = nullptr;
  if (tls != nullptr) {
    state_->tls_contexts.push_back(make_tls_context(*tls));
    context = state_->tls_contexts.back().get();
  }
  const tcp::endpoint endpoint = resolve(state_->io, host, port);
  tcp::acceptor acceptor(state_->io);
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw std::runtime_error("listen on " + host + ":" + std::to_string(port) + ": " +
                             ec.message());
  }
  const int bound = acceptor.local_endpoint().port();
  state_->start_accepting(std::move(acceptor), context);
  return bound;
}

void Server::listen_unix(const std::filesystem::path &path, std::filesystem::perms mode) {
  std::error_code ignored;
  if (std::filesystem::is_socket(path, ignored)) {
    std::filesystem::remove(path, ignored);
  }
  unix_socket::acceptor acceptor(state_->io);
  error_code ec;
  acceptor.open(unix_socket(), ec);
  if (!ec) {
    acceptor.bind(unix_socket::endpoint(path.string()), ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw std::runtime_error("listen on " + path.string() + ": " + ec.message());
  }
  std::filesystem::permissions(path, mode, ignored);
  state_->socket_files.push_back(path);
  state_->start_accepting(std::move(acceptor), nullptr);
}

void Server::stop() {
  std::vector<std::thread> accept_threads;
  {
    const std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    // shutdown() rather than close(): it wakes a thread blocked in accept,
    // read or write on the descriptor, and the owner still closes it.
    for (const int fd : state_->listener_fds) {
      ::shutdown(fd, SHUT_RDWR);
    }
    for (const auto &[id, fd] : state_->connection_fds) {
      ::shutdown(fd, SHUT_RDWR);
    }
    state_->listener_fds.clear();
    accept_threads.swap(state_->accept_threads);
  }
  for (auto &thread : accept_threads) {
    thread.join();
  }
  std::unique_lock lock(state_->mutex);
  state_->idle.wait(lock, [&] { return state_->active_connections == 0; });
  std::error_code ignored;
  for (const auto &path : state_->socket_files) {
    std::filesystem::remove(path, ignored);
  }
  state_->socket_files.clear();
}

} // namespace berth::http
