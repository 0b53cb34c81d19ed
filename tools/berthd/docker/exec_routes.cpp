// docker exec: exec instances created, started (attached through the
// hijacked connection, or detached) and inspected.
//
// Each exec runs as `berth exec` on the same root, a process of its own:
// the exec'd process must be reaped by a subreaper, which a daemon holding
// threads and starting shims must not become (until exec goes through the
// container's shim, as the engine facade will have it).
#include "docker/api_context.hpp"
#include "docker/attach_relay.hpp"

#include "container/monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <thread>

extern char **environ; // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace berth::berthd {
namespace {

using nlohmann::json;

struct Helper {
  pid_t pid = -1;
  sdk::UniqueFd in; // the exec's stdin, when attached
  sdk::UniqueFd out;
  sdk::UniqueFd err;
};

std::vector<std::string> helper_argv(const ApiContext &context, const ExecConfig &config) {
  auto argv = context.berth_command;
  argv.emplace_back("exec");
  if (config.attach_stdin) {
    argv.emplace_back("-i");
  }
  if (config.tty) {
    argv.emplace_back("-t");
  }
  for (const auto &[flag, value] : {std::pair{"-u", config.user}, {"-w", config.workdir}}) {
    if (!value.empty()) {
      argv.insert(argv.end(), {flag, value});
    }
  }
  for (const auto &entry : config.env) {
    if (entry.find('=') != std::string::npos) { // a bare NAME would read berthd's environment
      argv.insert(argv.end(), {"-e", entry});
    }
  }
  argv.push_back(config.container);
  argv.insert(argv.end(), config.cmd.begin(), config.cmd.end());
  return argv;
}

sdk::Result<Helper> spawn_helper(const ApiContext &context, const ExecConfig &config,
                                 bool detached) {
  std::array<int, 2> in{-1, -1};
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  const bool wants_stdin = config.attach_stdin && !detached;
  if ((wants_stdin && ::pipe2(in.data(), O_CLOEXEC) < 0) ||
      (!detached && (::pipe2(out.data(), O_CLOEXEC) < 0 || ::pipe2(err.data(), O_CLOEXEC) < 0))) {
    return sdk::errno_error("pipe2", "exec");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_RDWR, 0);
  for (const auto &[fd, target] : {std::pair{in[0], 0}, {out[1], 1}, {err[1], 2}}) {
    if (fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, fd, target);
    }
  }
  auto argv = helper_argv(context, config);
  std::vector<char *> pointers;
  pointers.reserve(argv.size() + 1);
  for (auto &arg : argv) {
    pointers.push_back(arg.data());
  }
  pointers.push_back(nullptr);
  Helper helper;
  const int spawned =
      ::posix_spawn(&helper.pid, pointers[0], &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  for (const int fd : {in[0], out[1], err[1]}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  helper.in.reset(in[1]);
  helper.out.reset(out[0]);
  helper.err.reset(err[0]);
  if (spawned != 0) {
    errno = spawned;
    return sdk::errno_error("posix_spawn", argv[0]);
  }
  return helper;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Forwards one read of a helper pipe to the client; false at its end.
bool forward_pipe(sdk::UniqueFd &pipe, int stream, bool tty, int client) {
  std::array<char, 65536> buffer{};
  const auto n = ::read(pipe.get(), buffer.data(), buffer.size());
  if (n <= 0) {
    pipe.reset();
    return false;
  }
  const std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
  return write_all(client, tty ? std::string(bytes) : docker_frame(stream, bytes));
}

void relay_exec(Helper &helper, http::RawConnection &client, bool tty) {
  if (const auto early = client.take_buffered(); helper.in.valid() && !early.empty()) {
    (void)write_all(helper.in.get(), early);
  }
  while (!client.stopping() && (helper.out.valid() || helper.err.valid())) {
    std::array<pollfd, 3> fds{{{client.fd(), static_cast<short>(helper.in.valid() ? POLLIN : 0), 0},
                               {helper.out.get(), POLLIN, 0},
                               {helper.err.get(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), 250) < 0 && errno != EINTR) {
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      std::array<char, 65536> buffer{};
      const auto n = ::read(client.fd(), buffer.data(), buffer.size());
      if (n <= 0 ||
          !write_all(helper.in.get(), std::string(buffer.data(), static_cast<std::size_t>(n)))) {
        helper.in.reset(); // the client's end of input: the exec's stdin closes
      }
    } else if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) {
      return;
    }
    if (fds[1].revents != 0 && !forward_pipe(helper.out, 1, tty, client.fd()) &&
        helper.out.valid()) {
      return;
    }
    if (fds[2].revents != 0 && !forward_pipe(helper.err, 2, tty, client.fd()) &&
        helper.err.valid()) {
      return;
    }
  }
}

// Reaps the helper on a thread of its own and records its exit code.
void record_exit_later(ApiContext &context, const std::string &id, pid_t pid) {
  std::thread([execs = context.execs, id, pid] {
    execs->set_exited(id, wait_exit_code(pid));
  }).detach();
}

http::Response create(ApiContext &context, http::Request &request) {
  const auto body = request_json(request);
  if (!body.is_object() || !body.value("Cmd", json()).is_array() || body["Cmd"].empty()) {
    return docker_error(400, "Cmd: is required: the command to run in the container");
  }
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    if (!view->running()) {
      return docker_error(409, "Container " + view->record.id + " is not running");
    }
    ExecConfig config;
    config.container = view->record.id;
    try {
      config.cmd = body["Cmd"].get<std::vector<std::string>>();
      config.env = string_list(body, "Env");
      config.user = body.value("User", json("")).is_string() ? body.value("User", "") : "";
      config.workdir =
          body.value("WorkingDir", json("")).is_string() ? body.value("WorkingDir", "") : "";
    } catch (const json::exception &) {
      return docker_error(400, "Cmd and Env: expected lists of strings");
    }
    if (body.value("Privileged", json(false)) == json(true)) {
      return docker_error(400, "Privileged: berth does not support it; leave it unset");
    }
    config.tty = body.value("Tty", json(false)) == json(true);
    config.attach_stdin = body.value("AttachStdin", json(false)) == json(true);
    config.attach_stdout = body.value("AttachStdout", json(true)) != json(false);
    config.attach_stderr = body.value("AttachStderr", json(true)) != json(false);
    return json_response({{"Id", context.execs->add(std::move(config))}}, 201);
  });
}

http::Response start(ApiContext &context, http::Request &request) {
  const auto id = request.param("id");
  const auto instance = context.execs->get(id);
  if (!instance) {
    return docker_error(404, "No such exec instance: " + id);
  }
  const bool detached = request_json(request).value("Detach", json(false)) == json(true);
  if (!context.execs->start(id)) {
    return docker_error(409, "exec instance " + id + " has already been started");
  }
  auto helper = spawn_helper(context, instance->config, detached);
  if (!helper.ok()) {
    context.execs->set_exited(id, 126);
    return docker_error(helper.error());
  }
  context.execs->set_running(id, helper->pid);
  if (detached) {
    record_exit_later(context, id, helper->pid);
    return empty_response(200);
  }
  http::Response response;
  response.content_type = "application/vnd.docker.raw-stream";
  response.hijack =
      [&context, id, tty = instance->config.tty,
       shared = std::make_shared<Helper>(std::move(helper).value())](http::RawConnection &client) {
        relay_exec(*shared, client, tty);
        shared->in.reset();
        if (client.stopping()) { // berthd stops: its threads must not wait for the exec
          record_exit_later(context, id, shared->pid);
          return;
        }
        // The client reads the exit code right after the stream ends.
        context.execs->set_exited(id, wait_exit_code(shared->pid));
      };
  return response;
}

http::Response inspect(ApiContext &context, http::Request &request) {
  const auto instance = context.execs->get(request.param("id"));
  if (!instance) {
    return docker_error(404, "No such exec instance: " + request.param("id"));
  }
  const auto &config = instance->config;
  json arguments(std::vector<std::string>(config.cmd.begin() + 1, config.cmd.end()));
  return json_response({{"ID", instance->id},
                        {"Running", instance->running},
                        {"ExitCode", instance->exit_code ? json(*instance->exit_code) : json()},
                        {"ProcessConfig",
                         {{"tty", config.tty},
                          {"entrypoint", config.cmd.front()},
                          {"arguments", arguments},
                          {"privileged", false},
                          {"user", config.user}}},
                        {"OpenStdin", config.attach_stdin},
                        {"OpenStdout", config.attach_stdout},
                        {"OpenStderr", config.attach_stderr},
                        {"CanRemove", false},
                        {"ContainerID", config.container},
                        {"DetachKeys", ""},
                        {"Pid", instance->pid}});
}

} // namespace

void add_exec_routes(http::Router &router, ApiContext &context) {
  add_routes(router, context,
             {
                 {"POST", "/containers/{id}/exec", create},
                 {"POST", "/exec/{id}/start", start},
                 {"GET", "/exec/{id}/json", inspect},
             });
}

} // namespace berth::berthd
