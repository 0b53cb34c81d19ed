// The shared HTTP server on its own: a unix socket (the engine API's
// transport), chunked streams, and a stop that does not wait for a stream to
// end by itself.
#include "http/router.hpp"
#include "http/server.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace berth::http {
namespace {

using berth::testing::run_process;

Response text(std::string body) {
  Response response;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

class HttpServerTest : public ::testing::Test {
protected:
  HttpServerTest() {
    router_.add("GET", "/hello/{name}", [](Request &request) {
      return text("hello " + request.param("name") + " " + request.query_value("greeting"));
    });
    router_.add("GET", "/stream", [](Request &) {
      Response response;
      response.content_type = "text/plain";
      response.stream = [](ChunkWriter &out) {
        for (int i = 0; i < 3; ++i) {
          out.write("chunk" + std::to_string(i) + "\n");
        }
      };
      return response;
    });
    // Streams until the server stops, as a watch does.
    router_.add("GET", "/forever", [](Request &) {
      Response response;
      response.stream = [](ChunkWriter &out) {
        while (out.write("tick\n")) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      };
      return response;
    });
    server_.listen_unix(socket_,
                        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  berth::testing::Completed curl(const std::string &path, const std::string &max_time = "5") {
    return run_process({"/usr/bin/curl", "-sS", "--max-time", max_time, "--unix-socket",
                        socket_.string(), "-w", "\n%{http_code}", "http://localhost" + path});
  }

  berth::testing::TempDir dir_{"berth-http"};
  std::filesystem::path socket_ = dir_.path() / "api.sock";
  Router router_;
  Server server_{[this](Request &request) { return router_.route(request); }};
};

TEST_F(HttpServerTest, RoutesPlaceholdersAndDecodesTheQuery) {
  EXPECT_EQ(curl("/hello/world?greeting=good%20day").out, "hello world good day\n200");
  EXPECT_EQ(curl("/nowhere").out, "not found\n\n404");
}

TEST_F(HttpServerTest, StreamsChunks) {
  EXPECT_EQ(curl("/stream").out, "chunk0\nchunk1\nchunk2\n\n200");
}

TEST_F(HttpServerTest, StopEndsAnOpenStreamAndRemovesTheSocket) {
  auto client = std::async(std::launch::async, [&] { return curl("/forever", "30"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  server_.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(client.get().out.substr(0, 5), "tick\n");
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

} // namespace
} // namespace berth::http
