// The streams of a container: attach (hijacked), wait and logs.
#include "docker/api_context.hpp"
#include "docker/attach_relay.hpp"

#include <poll.h>

#include <chrono>
#include <thread>

namespace berth::berthd {
namespace {

using namespace std::chrono_literals;

// True once the client closed its side or the server is stopping.
bool client_gone(const http::RawConnection &client) {
  pollfd p{client.fd(), POLLIN, 0};
  return client.stopping() || (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)) != 0 &&
                               (p.revents & POLLIN) == 0);
}

// The monitor connection of a running container, or of one that is about to
// start: its start hands the connection over (see AttachRendezvous).
sdk::UniqueFd monitor_connection(ApiContext &context, const std::string &id, bool running,
                                 const http::RawConnection &client) {
  if (running) {
    sdk::UniqueFd connection;
    (void)with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
      if (auto attached = containers.start(id, true); attached.ok()) {
        connection = std::move(attached).value();
      }
      return http::Response{};
    });
    return connection;
  }
  auto ticket = context.attaches.expect(id);
  while (!client_gone(client)) {
    if (auto connection = ticket->wait_for(250ms)) {
      return std::move(*connection);
    }
  }
  context.attaches.withdraw(id, ticket);
  return {};
}

http::Response attach(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    const RelayOptions options{view->record.config.tty, query_flag(request, "stdin"),
                               query_flag(request, "stdout"), query_flag(request, "stderr")};
    const auto id = view->record.id;
    const bool running = view->running();
    http::Response response;
    response.content_type = "application/vnd.docker.raw-stream";
    response.hijack = [&context, id, running, options](http::RawConnection &client) {
      const auto monitor = monitor_connection(context, id, running, client);
      if (monitor.valid()) {
        relay_attach(monitor.get(), client, options);
      }
    };
    return response;
  });
}

// Docker's wait conditions: "not-running" (the default) answers at once for
// a container that is not running; "next-exit" waits for the next exit even
// of a container not started yet; "removed" waits until it is gone too.
struct WaitOutcome {
  int exit_code = 0;
  std::optional<sdk::Error> error;
};

WaitOutcome wait_condition(ContainerService &containers, const std::string &id,
                           const std::string &condition, const http::ChunkWriter &writer) {
  const bool removed = condition == "removed";
  auto view = containers.view(id);
  if (!view.ok()) {
    return {0, view.error()};
  }
  const auto first_finish = view->state.finished_at;
  int exit_code = view->state.exit_code;
  bool exited = condition != "next-exit" && !removed && !view->running();
  while (!exited && !writer.stopping()) {
    if (view->running()) {
      auto code = containers.wait(id);
      exit_code = code.ok() ? *code : exit_code;
      exited = !removed;
    } else if (!removed && view->state.finished_at != first_finish) {
      exit_code = view->state.exit_code;
      exited = true;
    } else {
      std::this_thread::sleep_for(20ms);
    }
    view = containers.view(id);
    if (!view.ok()) {
      return removed ? WaitOutcome{exit_code, std::nullopt} : WaitOutcome{exit_code, view.error()};
    }
    if (!view->running() && !exited && !removed) {
      exit_code = view->state.exit_code;
    }
  }
  return {exit_code, std::nullopt};
}

http::Response wait(ApiContext &context, http::Request &request) {
  auto condition = request.query_value("condition");
  if (!condition.empty() && condition != "not-running" && condition != "next-exit" &&
      condition != "removed") {
    return docker_error(400, "invalid condition '" + condition +
                                 "': use not-running, next-exit or removed");
  }
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &lease) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    http::Response response;
    // The head goes out at once, as Docker's does: clients (docker run)
    // send start only once the wait was accepted.
    response.stream = [held = std::make_shared<EnginePool::Lease>(std::move(lease)), &containers,
                       id = view->record.id, condition](http::ChunkWriter &writer) {
      const auto outcome = wait_condition(containers, id, condition, writer);
      nlohmann::json body{{"StatusCode", outcome.exit_code}, {"Error", nullptr}};
      if (outcome.error) {
        body["Error"] = {{"Message", outcome.error->describe()}};
      }
      writer.write(body.dump() + "\n");
    };
    return response;
  });
}

// The program's output as Docker frames it (raw with a terminal).
std::function<bool(const LogLine &)> log_printer(http::ChunkWriter &writer,
                                                 const http::Request &request, bool tty) {
  const bool show_stdout = query_flag(request, "stdout");
  const bool show_stderr = query_flag(request, "stderr");
  const bool timestamps = query_flag(request, "timestamps");
  return [&writer, show_stdout, show_stderr, timestamps, tty](const LogLine &line) {
    const bool is_stderr = line.stream == "stderr";
    if (is_stderr ? !show_stderr : !show_stdout) {
      return true;
    }
    const auto text = timestamps ? line.time + " " + line.text : line.text;
    return writer.write(tty ? text : docker_frame(is_stderr ? 2 : 1, text));
  };
}

http::Response logs(ApiContext &context, http::Request &request) {
  if (!query_flag(request, "stdout") && !query_flag(request, "stderr")) {
    return docker_error(400, "you must choose at least one stream: stdout=1 or stderr=1");
  }
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &lease) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    LogRequest log;
    log.follow = query_flag(request, "follow");
    const auto tail = request.query_value("tail");
    log.tail = tail.empty() || tail == "all" ? -1 : std::atoi(tail.c_str());
    http::Response response;
    response.content_type = "application/vnd.docker.raw-stream";
    response.stream = [held = std::make_shared<EnginePool::Lease>(std::move(lease)), &containers,
                       id = view->record.id, log, request,
                       tty = view->record.config.tty](http::ChunkWriter &writer) mutable {
      const auto print = log_printer(writer, request, tty);
      bool open = true;
      log.cancelled = [&] { return !open || writer.stopping(); };
      (void)containers.logs(id, log, [&](const LogLine &line) { open = open && print(line); });
    };
    return response;
  });
}

} // namespace

void add_attach_routes(http::Router &router, ApiContext &context) {
  router.add("POST", "/containers/{id}/attach",
             [&context](http::Request &request) { return attach(context, request); });
  router.add("POST", "/containers/{id}/wait",
             [&context](http::Request &request) { return wait(context, request); });
  router.add("GET", "/containers/{id}/logs",
             [&context](http::Request &request) { return logs(context, request); });
}

} // namespace berth::berthd
