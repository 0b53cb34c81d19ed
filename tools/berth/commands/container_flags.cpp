#include "commands/container_flags.hpp"

#include "container/monitor.hpp"
#include "util/signal_name.hpp"

#include <berth/sdk/ipv4.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

namespace berth::cli {
namespace {

using strings = std::vector<std::string>;

template <class T> T unwrap(sdk::Result<T> result) {
  if (!result.ok()) {
    throw UsageError(result.error().describe());
  }
  return std::move(result).value();
}

std::string option(const po::variables_map &vm, const char *name) {
  return vm.count(name) != 0U ? vm[name].as<std::string>() : std::string{};
}

strings list(const po::variables_map &vm, const char *name) {
  return vm.count(name) != 0U ? vm[name].as<strings>() : strings{};
}

void read_security_options(const strings &values, ContainerConfig &config) {
  for (const auto &value : values) {
    if (value.starts_with("seccomp=") || value.starts_with("seccomp:")) {
      config.seccomp = value.substr(8);
      if (config.seccomp.empty()) {
        throw UsageError("--security-opt seccomp= needs 'unconfined' or a profile file");
      }
    } else if (value == "no-new-privileges" || value == "no-new-privileges=true" ||
               value == "no-new-privileges:true") {
      config.no_new_privileges = true;
    } else {
      throw UsageError("invalid --security-opt \"" + value +
                       "\": expected seccomp=unconfined|FILE or no-new-privileges");
    }
  }
}

void read_resources(const po::variables_map &vm, ContainerConfig &config) {
  if (vm.count("memory") != 0U) {
    config.memory = unwrap(parse_size("--memory", option(vm, "memory")));
  }
  if (vm.count("memory-swap") != 0U) {
    config.memory_swap = unwrap(parse_size("--memory-swap", option(vm, "memory-swap")));
    if (config.memory_swap > 0 && config.memory_swap < config.memory) {
      throw UsageError("--memory-swap must be at least --memory (it counts memory plus swap)");
    }
  }
  if (vm.count("cpus") != 0U) {
    config.cpus = unwrap(parse_cpus(option(vm, "cpus")));
  }
  if (vm.count("pids-limit") != 0U) {
    config.pids_limit = vm["pids-limit"].as<std::int64_t>();
  }
  for (const auto &value : list(vm, "ulimit")) {
    config.ulimits.push_back(unwrap(parse_ulimit(value)));
  }
}

void read_mounts(const po::variables_map &vm, ContainerConfig &config) {
  for (const auto &value : list(vm, "volume")) {
    config.volumes.push_back(unwrap(parse_volume(value)));
  }
  for (const auto &value : list(vm, "tmpfs")) {
    config.tmpfs.push_back(unwrap(parse_tmpfs(value)));
  }
}

void read_environment(const po::variables_map &vm, ContainerConfig &config) {
  for (const auto &file : list(vm, "env-file")) {
    for (auto &entry : unwrap(read_env_file(file))) {
      config.env.push_back(std::move(entry));
    }
  }
  for (const auto &value : list(vm, "env")) {
    if (auto entry = env_entry(value)) {
      config.env.push_back(*entry);
    }
  }
}

void read_privileges(const po::variables_map &vm, ContainerConfig &config) {
  for (const auto &value : list(vm, "cap-add")) {
    config.cap_add.push_back(unwrap(capability_name(value)));
  }
  for (const auto &value : list(vm, "cap-drop")) {
    config.cap_drop.push_back(unwrap(capability_name(value)));
  }
  read_security_options(list(vm, "security-opt"), config);
}

void read_metadata(const po::variables_map &vm, ContainerConfig &config) {
  for (const auto &value : list(vm, "label")) {
    auto [key, text] = unwrap(parse_key_value("--label", value));
    config.labels[key] = text;
  }
  for (const auto &value : list(vm, "log-opt")) {
    const auto equals = value.find('=');
    if (equals == std::string::npos) {
      throw UsageError("invalid --log-opt \"" + value + "\": expected KEY=VALUE");
    }
    config.log_options[value.substr(0, equals)] = value.substr(equals + 1);
  }
}

// IPv4 or IPv6: resolv.conf takes either.
bool is_ip_address(const std::string &text) {
  in6_addr address{};
  return ::inet_pton(AF_INET, text.c_str(), &address) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

void add_network_options(po::options_description &options) {
  options.add_options()                                                              //
      ("network", po::value<std::string>()->value_name("NAME"),                      //
       "connect to a network: a network's name, host or none (default: the stack's " //
       "default network)")                                                           //
      ("network-alias", po::value<strings>()->composing()->value_name("NAME"),       //
       "another name the container answers to on its network")                       //
      ("ip", po::value<std::string>()->value_name("IPv4"),                           //
       "the container's address on its network (default: a free one)")               //
      ("publish,p", po::value<strings>()->composing()->value_name("SPEC"),           //
       "publish a port: [IP:][HOSTPORT:]CTRPORT[/tcp|udp]")                          //
      ("publish-all,P", po::bool_switch(),                                           //
       "publish the image's exposed ports on free host ports")                       //
      ("add-host", po::value<strings>()->composing()->value_name("NAME:IP"),         //
       "add a line to the container's /etc/hosts")                                   //
      ("dns", po::value<strings>()->composing()->value_name("IP"),                   //
       "DNS server for the container")                                               //
      ("dns-search", po::value<strings>()->composing()->value_name("DOMAIN"),        //
       "DNS search domain for the container")                                        //
      ("dns-option", po::value<strings>()->composing()->value_name("OPT"),           //
       "resolv.conf option for the container (e.g. ndots:2)");
}

void read_network(const po::variables_map &vm, ContainerConfig &config) {
  config.network = option(vm, "network");
  config.network_aliases = list(vm, "network-alias");
  config.ip = option(vm, "ip");
  // Checked here, not only by the network, so that a typo is a usage error
  // before anything is created.
  if (!config.ip.empty() && !sdk::Ipv4::parse(config.ip)) {
    throw UsageError("invalid --ip \"" + config.ip + "\": expected an IPv4 address such as " +
                     "10.88.0.5");
  }
  for (const auto &value : list(vm, "publish")) {
    for (auto &port : unwrap(parse_publish(value))) {
      config.ports.push_back(std::move(port));
    }
  }
  config.publish_all = vm["publish-all"].as<bool>();
  for (const auto &value : list(vm, "add-host")) {
    (void)unwrap(parse_add_host(value)); // validated now; the core renders it at start
    config.extra_hosts.push_back(value);
  }
  for (const auto &server : list(vm, "dns")) {
    if (!is_ip_address(server)) {
      throw UsageError("invalid --dns \"" + server + "\": expected an IP address such as 1.1.1.1");
    }
    config.dns.push_back(server);
  }
  config.dns_search = list(vm, "dns-search");
  config.dns_options = list(vm, "dns-option");
}

// Raw mode for the length of an attached session with a terminal.
class RawTerminal {
public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) != 0 && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);
      active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  }
  ~RawTerminal() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
  }
  RawTerminal(const RawTerminal &) = delete;
  RawTerminal &operator=(const RawTerminal &) = delete;
  RawTerminal(RawTerminal &&) = delete;
  RawTerminal &operator=(RawTerminal &&) = delete;

private:
  termios saved_{};
  bool active_ = false;
};

int signal_pipe[2] = {-1, -1};

extern "C" void forward_signal(int signal) {
  const auto byte = static_cast<unsigned char>(signal);
  (void)!::write(signal_pipe[1], &byte, 1);
}

void catch_signals(std::initializer_list<int> signals) {
  if (signal_pipe[0] < 0 && ::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
    return;
  }
  struct sigaction action {};
  action.sa_handler = forward_signal;
  for (int signal : signals) {
    ::sigaction(signal, &action, nullptr);
  }
}

std::optional<nlohmann::json> window_size() {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0) {
    return std::nullopt;
  }
  return nlohmann::json{{"rows", ws.ws_row}, {"cols", ws.ws_col}};
}

} // namespace

void add_container_options(po::options_description &options) {
  options.add_options()("name", po::value<std::string>(), "name the container")(
      "interactive,i", po::bool_switch(), "keep STDIN open")("tty,t", po::bool_switch(),
                                                             "allocate a pseudo-terminal")(
      "env,e", po::value<strings>()->composing(), "set an environment variable (KEY=VALUE)")(
      "env-file", po::value<strings>()->composing(), "read environment variables from a file")(
      "workdir,w", po::value<std::string>(), "working directory inside the container")(
      "user,u", po::value<std::string>(), "user[:group] to run as (name or id)")(
      "stop-signal", po::value<std::string>(),
      "signal that stops the container (default: the "
      "image's StopSignal, else SIGTERM)")("entrypoint", po::value<std::string>(),
                                           "override the image's ENTRYPOINT")(
      "hostname", po::value<std::string>(),
      "container host name")("memory,m", po::value<std::string>(), "memory limit (e.g. 32m, 1g)")(
      "memory-swap", po::value<std::string>(), "memory plus swap limit; -1 for unlimited swap")(
      "cpus", po::value<std::string>(), "number of CPUs (e.g. 0.5)")(
      "pids-limit", po::value<std::int64_t>(), "maximum number of processes (-1 unlimited)")(
      "read-only", po::bool_switch(), "mount the root filesystem read-only")(
      "tmpfs", po::value<strings>()->composing(),
      "mount a tmpfs (PATH[:OPTIONS])")("volume,v", po::value<strings>()->composing(),
                                        "bind mount HOST:CTR[:ro] or volume NAME:CTR[:ro]")(
      "restart", po::value<std::string>()->default_value("no"),
      "restart policy: no, on-failure[:N], always, unless-stopped")(
      "init", po::bool_switch(), "run an init inside that forwards signals and reaps zombies")(
      "runtime", po::value<std::string>(), "runtime backend from the stack (e.g. crun)")(
      "cap-add", po::value<strings>()->composing(), "add a Linux capability")(
      "cap-drop", po::value<strings>()->composing(), "drop a Linux capability")(
      "security-opt", po::value<strings>()->composing(),
      "seccomp=unconfined|FILE, no-new-privileges")("ulimit", po::value<strings>()->composing(),
                                                    "resource limit NAME=SOFT[:HARD]")(
      "label,l", po::value<strings>()->composing(), "set metadata KEY=VALUE")(
      "log-opt", po::value<strings>()->composing(), "json-file log option: max-size, max-file")(
      "rm", po::bool_switch(), "remove the container when it exits");
  add_network_options(options);
}

ContainerConfig container_config(const po::variables_map &vm, const std::string &image,
                                 const std::vector<std::string> &command) {
  ContainerConfig config;
  config.image = image;
  config.cmd = command;
  config.name = option(vm, "name");
  config.interactive = vm["interactive"].as<bool>();
  config.tty = vm["tty"].as<bool>();
  config.workdir = option(vm, "workdir");
  config.user = option(vm, "user");
  config.stop_signal = option(vm, "stop-signal");
  if (!config.stop_signal.empty() && !parse_signal(config.stop_signal)) {
    throw UsageError("invalid --stop-signal \"" + config.stop_signal +
                     "\": use a name such as SIGTERM or SIGQUIT, or a number");
  }
  config.hostname = option(vm, "hostname");
  if (vm.count("entrypoint") != 0U) {
    const auto entrypoint = option(vm, "entrypoint");
    config.entrypoint = entrypoint.empty() ? strings{} : strings{entrypoint};
  }
  config.read_only = vm["read-only"].as<bool>();
  config.restart = unwrap(parse_restart(option(vm, "restart")));
  config.init = vm["init"].as<bool>();
  config.runtime = option(vm, "runtime");
  config.auto_remove = vm["rm"].as<bool>();
  if (config.auto_remove && config.restart.name != "no") {
    throw UsageError("conflicting options: --restart and --rm");
  }
  read_resources(vm, config);
  read_mounts(vm, config);
  read_environment(vm, config);
  read_privileges(vm, config);
  read_metadata(vm, config);
  read_network(vm, config);
  return config;
}

namespace {

bool takes_value(const po::options_description &options, const std::string &name) {
  const auto *found = options.find_nothrow(name, false, false, false);
  if (found == nullptr) {
    found = global_options().find_nothrow(name, false, false, false);
  }
  return found != nullptr && found->semantic()->max_tokens() > 0;
}

// True when the word after a short cluster such as "-it" or "-e" is its value.
bool cluster_wants_next(const po::options_description &options, const std::string &cluster) {
  for (std::size_t i = 1; i < cluster.size(); ++i) {
    if (takes_value(options, "-" + cluster.substr(i, 1))) {
      return i + 1 == cluster.size(); // "-m32m" carries its value
    }
  }
  return false;
}

} // namespace

std::size_t first_operand(const po::options_description &options,
                          const std::vector<std::string> &args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto &arg = args[i];
    if (arg == "--") {
      return i + 1;
    }
    if (arg.size() < 2 || arg.front() != '-') {
      return i;
    }
    if (arg.starts_with("--")) {
      if (arg.find('=') == std::string::npos && takes_value(options, arg.substr(2))) {
        ++i;
      }
    } else if (cluster_wants_next(options, arg)) {
      ++i;
    }
  }
  return args.size();
}

int relay_attached(int connection, bool tty, bool send_stdin) {
  std::optional<RawTerminal> raw;
  if (tty) {
    raw.emplace();
    if (auto size = window_size()) {
      (void)write_all(connection, encode_frame(Frame::resize, size->dump()));
    }
    catch_signals({SIGWINCH});
  } else {
    catch_signals({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2});
  }
  FrameReader reader;
  bool stdin_open = send_stdin;
  while (true) {
    pollfd fds[3] = {{connection, POLLIN, 0},
                     {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                     {signal_pipe[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return kExitEngine;
    }
    if ((fds[2].revents & POLLIN) != 0) {
      unsigned char signal = 0;
      while (::read(signal_pipe[0], &signal, 1) == 1) {
        const auto frame =
            signal == SIGWINCH
                ? encode_frame(Frame::resize, window_size().value_or(nullptr).dump())
                : encode_frame(Frame::signal, nlohmann::json{{"signal", signal}}.dump());
        (void)write_all(connection, frame);
      }
    }
    if (fds[1].revents != 0) {
      char buffer[65536];
      const auto n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n > 0) {
        (void)write_all(connection, encode_frame(Frame::stdin_data,
                                                 std::string(buffer, static_cast<std::size_t>(n))));
      } else {
        (void)write_all(connection, encode_frame(Frame::stdin_close, ""));
        stdin_open = false;
      }
    }
    if (fds[0].revents != 0) {
      char buffer[65536];
      const auto n = ::read(connection, buffer, sizeof buffer);
      if (n <= 0) {
        std::cerr << "berth: lost the connection to the container's monitor\n";
        return kExitEngine;
      }
      reader.feed(buffer, static_cast<std::size_t>(n));
      while (auto frame = reader.next()) {
        if (frame->first == Frame::exit) {
          const auto exit = nlohmann::json::parse(frame->second, nullptr, false);
          if (exit.is_object() && exit.contains("error")) {
            std::cerr << "berth: " << exit.value("error", "") << "\n";
          }
          return exit.is_object() ? exit.value("exitCode", 0) : 0;
        }
        const int out = frame->first == Frame::stderr_data ? STDERR_FILENO : STDOUT_FILENO;
        (void)write_all(out, frame->second);
      }
    }
  }
}

int relay_pipes(int in_fd, int out_fd, int err_fd, int pid) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  int open_outputs = 2;
  while (open_outputs > 0) {
    pollfd fds[4] = {{out_fd, POLLIN, 0},
                     {err_fd, POLLIN, 0},
                     {in_fd >= 0 ? STDIN_FILENO : -1, POLLIN, 0},
                     {exited ? -1 : pidfd, POLLIN, 0}};
    // Once the process is gone, what is left in the pipes is drained; a
    // daemon it left behind may hold them open for ever.
    const int ready = ::poll(fds, 4, exited ? 50 : -1);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      char buffer[65536];
      const auto n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        (i == 0 ? out_fd : err_fd) = -1;
        --open_outputs;
      } else {
        (void)write_all(i == 0 ? STDOUT_FILENO : STDERR_FILENO,
                        std::string(buffer, static_cast<std::size_t>(n)));
      }
    }
    if (fds[2].revents != 0) {
      char buffer[65536];
      const auto n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n <= 0 || !write_all(in_fd, std::string(buffer, static_cast<std::size_t>(n)))) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
    exited = exited || fds[3].revents != 0;
  }
  if (in_fd >= 0) {
    ::close(in_fd);
  }
  if (pidfd >= 0) {
    ::close(pidfd);
  }
  return wait_exit_code(pid);
}

int wait_exit_code(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return kExitEngine;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int relay_terminal(int master, int pid, bool forward_stdin) {
  RawTerminal raw;
  if (auto size = window_size()) {
    winsize ws{};
    ws.ws_row = (*size)["rows"].get<unsigned short>();
    ws.ws_col = (*size)["cols"].get<unsigned short>();
    ::ioctl(master, TIOCSWINSZ, &ws);
  }
  bool stdin_open = forward_stdin;
  while (true) {
    pollfd fds[2] = {{master, POLLIN, 0}, {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      break;
    }
    if (fds[1].revents != 0) {
      char buffer[4096];
      const auto n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n > 0) {
        (void)write_all(master, std::string(buffer, static_cast<std::size_t>(n)));
      } else {
        stdin_open = false;
      }
    }
    if (fds[0].revents != 0) {
      char buffer[65536];
      const auto n = ::read(master, buffer, sizeof buffer);
      if (n <= 0) {
        break; // EIO once the last holder of the terminal's slave side exits
      }
      (void)write_all(STDOUT_FILENO, std::string(buffer, static_cast<std::size_t>(n)));
    }
  }
  return wait_exit_code(pid);
}

} // namespace berth::cli
