// The streams of a container: attach (hijacked), wait and logs.
#include "docker/api_context.hpp"
#include "docker/attach_relay.hpp"

#include <poll.h>

#include <chrono>
#include <thread>

namespace berth::berthd {
namespace {

using namespace std::chrono_literals;

constexpr auto kRecheck = 250ms;

// True once the client closed its side or the server is stopping.
bool client_gone(const http::RawConnection &client) {
  pollfd p{client.fd(), POLLIN, 0};
  return client.stopping() || (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)) != 0 &&
                               (p.revents & POLLIN) == 0);
}

// Leaves a ticket for the container's next start and waits for its
// handoff, until gone() (the client left) or moved() (it started or ended
// without a handoff: someone else started it, or it is gone); then the
// handoff is empty.
Handoff await_start(ApiContext &context, const std::string &id, StartTicket::Kind kind,
                    const std::function<bool()> &gone, const std::function<bool()> &moved) {
  auto ticket = context.starts.expect(id, kind);
  while (true) {
    if (auto handoff = ticket->wait_for(kRecheck)) {
      return std::move(*handoff);
    }
    if (gone() || moved()) {
      auto late = context.starts.withdraw(id, ticket);
      return late ? std::move(*late) : Handoff{};
    }
  }
}

// A snapshot of where a container's runs are, to tell when another began.
struct RunMark {
  bool running = false;
  std::string finished_at;
  bool operator==(const RunMark &) const = default;
};

RunMark run_mark(ContainerService &containers, const std::string &id) {
  auto view = containers.view(id);
  return view.ok() ? RunMark{view->running(), view->state.finished_at} : RunMark{false, "gone"};
}

// A monitor connection of a running container, made on its own.
sdk::UniqueFd attach_running(ApiContext &context, const std::string &id) {
  sdk::UniqueFd connection;
  (void)with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    if (auto attached = containers.attach(id); attached.ok()) {
      connection = std::move(attached).value();
    }
    return http::Response{};
  });
  return connection;
}

// The monitor connection of a running container, or of one about to start
// (its start hands it over; see StartRendezvous).
Handoff monitor_connection(ApiContext &context, const std::string &id, const RunMark &seen,
                           const http::RawConnection &client) {
  if (seen.running) {
    return {attach_running(context, id), std::nullopt, {}};
  }
  auto moved = [&] {
    bool changed = false;
    (void)with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
      changed = run_mark(containers, id) != seen;
      return http::Response{};
    });
    return changed;
  };
  auto handoff = await_start(
      context, id, StartTicket::Kind::attach, [&] { return client_gone(client); }, moved);
  if (!handoff.connection.valid() && !client_gone(client)) {
    handoff.connection = attach_running(context, id); // started by someone else
  }
  return handoff;
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
    const RunMark seen{view->running(), view->state.finished_at};
    http::Response response;
    response.content_type = "application/vnd.docker.raw-stream";
    response.hijack = [&context, id, seen, options](http::RawConnection &client) {
      auto handoff = monitor_connection(context, id, seen, client);
      std::optional<int> exit_code;
      if (handoff.connection.valid()) {
        exit_code = relay_attach(handoff.connection.get(), client, options);
      }
      tell_exit(handoff.exit_listeners, exit_code);
    };
    return response;
  });
}

// The exit code of the container's next run, which has not begun yet.
std::optional<int> exit_of_next_run(ApiContext &context, ContainerService &containers,
                                    const std::string &id, const RunMark &seen,
                                    const std::function<bool()> &cancelled) {
  auto handoff = await_start(context, id, StartTicket::Kind::wait, cancelled,
                             [&] { return run_mark(containers, id) != seen; });
  if (handoff.connection.valid()) {
    auto code = read_until_exit(handoff.connection.get(), nullptr, -1, cancelled);
    const auto exit_code = code.ok() ? std::optional<int>(*code) : std::nullopt;
    tell_exit(handoff.exit_listeners, exit_code);
    return exit_code;
  }
  if (handoff.exit_code) {
    return handoff.exit_code;
  }
  if (run_mark(containers, id).running) { // started without a handoff
    auto code = containers.wait(id, cancelled);
    return code.ok() ? std::optional<int>(*code) : std::nullopt;
  }
  return std::nullopt;
}

// Docker's wait conditions: "not-running" (the default) answers at once for
// a container that is not running; "next-exit" waits for the next exit even
// of a container not started yet; "removed" waits until it is gone too.
struct WaitOutcome {
  int exit_code = 0;
  std::optional<sdk::Error> error;
};

WaitOutcome wait_condition(ApiContext &context, ContainerService &containers, const std::string &id,
                           const std::string &condition, const http::ChunkWriter &writer) {
  const auto cancelled = [&writer] { return writer.stopping(); };
  auto view = containers.view(id);
  if (!view.ok()) {
    return {0, view.error()};
  }
  const bool removed = condition == "removed";
  std::optional<int> exit_code;
  if (view->running()) {
    auto code = containers.wait(id, cancelled);
    exit_code = code.ok() ? std::optional<int>(*code) : std::nullopt;
  } else if (condition == "next-exit" || (removed && view->state.status == "created")) {
    exit_code =
        exit_of_next_run(context, containers, id, {false, view->state.finished_at}, cancelled);
  }
  if (!exit_code) {
    auto now = containers.view(id);
    exit_code = now.ok() ? now->state.exit_code : view->state.exit_code;
  }
  // The monitor removes it after the exit (an exec of `berth rm`): a short
  // poll, since docker run --rm returns only once it is gone.
  while (removed && !cancelled() && containers.view(id).ok()) {
    std::this_thread::sleep_for(5ms);
  }
  return {*exit_code, std::nullopt};
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
    response.stream = [held = std::make_shared<EnginePool::Lease>(std::move(lease)), &context,
                       &containers, id = view->record.id, condition](http::ChunkWriter &writer) {
      const auto outcome = wait_condition(context, containers, id, condition, writer);
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
