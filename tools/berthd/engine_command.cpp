#include "engine_command.hpp"

#include "command_line.hpp"
#include "docker/docker_api.hpp"
#include "stop_signals.hpp"

#include "http/server.hpp"
#include "log/logging.hpp"

#include <boost/program_options.hpp>

#include <grp.h>
#include <malloc.h>
#include <unistd.h>

#include <iostream>

namespace berth::berthd {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

constexpr const char *kDefaultHost = "unix:///run/berth/berth.sock";

struct EngineFlags {
  std::vector<std::string> hosts;
  std::string group = "berth";
  std::string root;
  std::string stack;
  std::string log_level;
};

po::options_description describe(EngineFlags &flags) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "host,H", po::value(&flags.hosts)->composing()->value_name("unix:///PATH"),
      "a socket to serve on (default unix:///run/berth/berth.sock); repeat for more")(
      "group,G", po::value(&flags.group)->value_name("NAME"),
      "the group that may use the socket (default berth; made if missing)")(
      "root", po::value(&flags.root)->value_name("DIR"),
      "the engine's state root (default: the stack's)")(
      "stack", po::value(&flags.stack)->value_name("FILE"),
      "the stack file (default $BERTH_STACK, /etc/berth/stack.yaml, then the built-in one)")(
      "log-level", po::value(&flags.log_level)->value_name("LEVEL"),
      "debug logs every request; also info, warn, error");
  return options;
}

int usage_error(const std::string &message) {
  std::cerr << "berthd engine: " << message << "\n";
  return 2;
}

// "unix:///run/x.sock" -> "/run/x.sock"; an error line for anything else.
sdk::Result<fs::path> socket_path(const std::string &host) {
  if (host.starts_with("unix://") && host.size() > 7 && host[7] == '/') {
    return fs::path(host.substr(7));
  }
  if (host.starts_with("tcp://")) {
    return sdk::make_error(sdk::Errc::unsupported,
                           "-H " + host +
                               ": berthd engine serves unix sockets only for now (TCP "
                               "would need mutual TLS); use unix:///PATH");
  }
  return sdk::make_error(sdk::Errc::invalid_argument,
                         "-H " + host + ": expected unix:///PATH, for example " + kDefaultHost);
}

// The socket's group id, making the group (a system group) if missing.
sdk::Result<gid_t> socket_group(const std::string &name) {
  if (const auto *group = ::getgrnam(name.c_str())) {
    return group->gr_gid;
  }
  const std::string command = "groupadd --system '" + name + "' 2>/dev/null";
  if (name.find('\'') != std::string::npos || std::system(command.c_str()) != 0) {
    return sdk::make_error(sdk::Errc::io,
                           "cannot make the group; make it with 'groupadd --system "
                           "NAME' or pass --group",
                           name);
  }
  const auto *made = ::getgrnam(name.c_str());
  if (made == nullptr) {
    return sdk::make_error(sdk::Errc::io, "groupadd made no such group", name);
  }
  return made->gr_gid;
}

sdk::Result<EngineOptions> engine_options(const EngineFlags &flags) {
  EngineOptions options;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  options.helper_dir = exe.parent_path();
  options.builtin_plugin_dirs = {
      (exe.parent_path() / BERTH_PLUGIN_DIR_FROM_BINDIR).lexically_normal()};
  if (!flags.root.empty()) {
    options.root = fs::absolute(flags.root);
  }
  if (!flags.stack.empty()) {
    options.stack_file = fs::absolute(flags.stack);
  }
  if (!flags.log_level.empty()) {
    options.log_level = parse_log_level(flags.log_level);
    if (!options.log_level) {
      return sdk::make_error(sdk::Errc::invalid_argument, "--log-level '" + flags.log_level +
                                                              "': use debug, info, warn or error");
    }
  }
  return options;
}

// `berth --root ROOT [--stack FILE]` beside berthd, on the engine's root and
// stack.
std::vector<std::string> berth_command(const EngineOptions &options, const fs::path &root) {
  std::vector<std::string> command{(options.helper_dir / "berth").string(), "--root",
                                   root.string()};
  if (const auto stack = choose_stack_file(options)) {
    command.insert(command.end(), {"--stack", fs::absolute(*stack).string()});
  }
  return command;
}

// Listens on each socket, root:group 0660 in a directory others may cross.
sdk::Result<void> listen_all(http::Server &server, const std::vector<fs::path> &paths, gid_t gid) {
  for (const auto &path : paths) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    try {
      server.listen_unix(path, fs::perms::owner_read | fs::perms::owner_write |
                                   fs::perms::group_read | fs::perms::group_write);
    } catch (const std::exception &error) {
      return sdk::make_error(sdk::Errc::io, error.what());
    }
    if (::chown(path.c_str(), 0, gid) != 0) {
      return sdk::errno_error("chown", path.string());
    }
  }
  return {};
}

int serve(const EngineFlags &flags, const std::vector<fs::path> &paths) {
  auto options = engine_options(flags);
  if (!options.ok()) {
    return usage_error(options.error().describe());
  }
  auto gid = socket_group(flags.group);
  if (!gid.ok()) {
    std::cerr << "berthd engine: " << gid.error().describe() << "\n";
    return 1;
  }
  // A thread per connection: glibc would give each busy thread an arena
  // of its own, and a burst of clients would leave their memory behind.
  ::mallopt(M_ARENA_MAX, 2);
  const sigset_t signals = block_stop_signals();
  EnginePool engines(*options);
  auto root = engines.check();
  if (!root.ok()) {
    std::cerr << "berthd engine: " << root.error().describe() << "\n";
    return 1;
  }
  DockerApi api(engines, BERTH_VERSION, berth_command(*options, *root));
  const auto logger = make_logger("berthd");
  http::Server server([&api, &logger](http::Request &request) {
    if (logger->enabled(sdk::LogLevel::debug)) {
      logger->debug(request.method + " " + request.target);
    }
    return api.handle(request);
  });
  if (auto listening = listen_all(server, paths, *gid); !listening.ok()) {
    std::cerr << "berthd engine: " << listening.error().describe() << "\n";
    return 1;
  }
  for (const auto &path : paths) {
    std::cerr << "berthd engine: serving the Docker API " << kApiVersion << " on unix://"
              << path.string() << "\n";
  }
  int received = 0;
  sigwait(&signals, &received);
  std::cerr << "berthd engine: stopping (signal " << received << "); containers keep running\n";
  server.stop();
  return 0;
}

} // namespace

int run_engine_command(const std::vector<std::string> &args) {
  EngineFlags flags;
  const po::options_description options = describe(flags);
  if (auto done = parse_command_line(
          args, options, "engine",
          "Usage: berthd engine [OPTIONS]\n\nServes the Docker Engine API (1.41) on a unix "
          "socket, for the docker CLI, docker-compose and docker-py:\n"
          "  DOCKER_HOST=unix:///run/berth/berth.sock docker ps\n")) {
    return *done;
  }
  if (flags.hosts.empty()) {
    flags.hosts.emplace_back(kDefaultHost);
  }
  std::vector<fs::path> paths;
  for (const auto &host : flags.hosts) {
    auto path = socket_path(host);
    if (!path.ok()) {
      return usage_error(path.error().describe());
    }
    paths.push_back(*path);
  }
  return serve(flags, paths);
}

} // namespace berth::berthd
