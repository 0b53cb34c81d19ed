#include "cli.hpp"
#include "commands/container_flags.hpp"
#include "output.hpp"
#include "util/signal_name.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

namespace berth::cli {
namespace {

using strings = std::vector<std::string>;

// Docker answers 125 for its own failures in the container commands.
template <class T> T value_or_exit(sdk::Result<T> result, int code = kExitEngine) {
  if (!result.ok()) {
    throw ExitError(result.error().describe(), code);
  }
  return std::move(result).value();
}

ContainerService &service(Engine &engine) {
  return *value_or_exit(engine.containers());
}

strings operands(const po::variables_map &vm, const char *name) {
  return vm.count(name) != 0U ? vm[name].as<strings>() : strings{};
}

std::string short_id(const std::string &id) {
  return id.substr(0, 12);
}

int signal_number(const std::string &text) {
  if (auto number = parse_signal(text)) {
    return *number;
  }
  throw ExitError("invalid signal \"" + text + "\": use a name such as TERM or KILL, or a number",
                  kExitEngine);
}

// Start failures keep Docker's codes: a missing program is 127, one that
// cannot be executed 126.
int start_failure_code(const sdk::Error &error) {
  switch (error.code) {
  case sdk::Errc::not_found: return kExitNotFound;
  case sdk::Errc::permission: return kExitNotExecutable;
  default: return kExitEngine;
  }
}

// Parses create/run's command line: OPTIONS IMAGE [COMMAND [ARG...]].
struct CreateLine {
  ParsedCommand parsed;
  std::string image;
  strings command;
};

CreateLine parse_create_line(Context &context, const strings &args, const std::string &usage,
                             const std::string &summary, po::options_description &options) {
  add_container_options(options);
  const auto split = first_operand(options, args);
  CreateLine line;
  const strings head(args.begin(), args.begin() + static_cast<long>(split));
  try {
    line.parsed = parse_command(context, head, usage, summary, options);
  } catch (const UsageError &e) {
    throw ExitError(std::string("berth: ") + e.what(), kExitEngine);
  }
  if (line.parsed.help_shown) {
    return line;
  }
  if (split >= args.size()) {
    throw ExitError("berth: '" + context.command_path + "' needs an IMAGE; see 'berth " +
                        context.command_path + " --help'",
                    kExitEngine);
  }
  line.image = args[split];
  line.command.assign(args.begin() + static_cast<long>(split) + 1, args.end());
  return line;
}

ContainerConfig config_or_exit(const CreateLine &line) {
  try {
    return container_config(line.parsed.vm, line.image, line.command);
  } catch (const UsageError &e) {
    throw ExitError(std::string("berth: ") + e.what(), kExitEngine);
  }
}

int run_create(Context &context, const strings &args) {
  po::options_description options("Create options");
  auto line = parse_create_line(context, args, "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
                                "Create a container without starting it; prints its id.", options);
  if (line.parsed.help_shown) {
    return kExitOk;
  }
  auto config = config_or_exit(line);
  auto engine = context.open_engine();
  std::cout << value_or_exit(service(*engine).create(std::move(config))) << "\n";
  return kExitOk;
}

int run_run(Context &context, const strings &args) {
  po::options_description options("Run options");
  options.add_options()("detach,d", po::bool_switch(), "run in the background and print the id");
  auto line = parse_create_line(context, args, "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
                                "Create and start a container; without -d, attach to it and "
                                "exit with its code.",
                                options);
  if (line.parsed.help_shown) {
    return kExitOk;
  }
  auto config = config_or_exit(line);
  const bool detach = line.parsed.vm["detach"].as<bool>();
  const bool tty = config.tty;
  const bool interactive = config.interactive;
  const bool auto_remove = config.auto_remove;
  auto engine = context.open_engine();
  auto &containers = service(*engine);
  const auto id = value_or_exit(containers.create(std::move(config)));
  auto started = containers.start(id, !detach);
  if (!started.ok()) {
    // Nothing ran and the user never saw an id: leave nothing behind.
    (void)containers.remove(id, true, true);
    throw ExitError(started.error().describe(), start_failure_code(started.error()));
  }
  if (detach) {
    std::cout << id << "\n";
    return kExitOk;
  }
  const int code = relay_attached(started->get(), tty, interactive);
  if (auto_remove) {
    (void)containers.remove(id, true, true);
  }
  return code;
}

int run_start(Context &context, const strings &args) {
  po::options_description options("Start options");
  options.add_options()("attach,a", po::bool_switch(), "attach to output and exit with its code")(
      "interactive,i", po::bool_switch(), "attach STDIN");
  auto parsed = parse_command(context, args, "start [OPTIONS] CONTAINER...",
                              "Start one or more stopped containers.", options, {"container..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto names = operands(parsed.vm, "container");
  const bool attach = parsed.vm["attach"].as<bool>();
  if (names.empty() || (attach && names.size() > 1)) {
    throw UsageError(names.empty() ? "name a container to start" : "start -a takes one container");
  }
  auto engine = context.open_engine();
  auto &containers = service(*engine);
  for (const auto &name : names) {
    auto started = containers.start(name, attach);
    if (!started.ok()) {
      throw ExitError(started.error().describe(), start_failure_code(started.error()));
    }
    if (attach) {
      const auto view = value_or_exit(containers.view(name));
      return relay_attached(started->get(), view.record.config.tty,
                            parsed.vm["interactive"].as<bool>());
    }
    std::cout << name << "\n";
  }
  return kExitOk;
}

nlohmann::json view_json(const ContainerView &view) {
  const auto &r = view.record;
  return {{"Id", r.id},
          {"Names", {r.name}},
          {"Image", r.config.image},
          {"ImageID", r.image_id},
          {"Command", view.args},
          {"Created", r.created},
          {"State", view.state.status},
          {"Status", view.status_text()},
          {"ExitCode", view.state.exit_code},
          {"Pid", view.state.pid},
          {"Runtime", r.runtime},
          {"Ports", view.ports_text()},
          {"Labels", r.config.labels}};
}

std::string command_text(const ContainerView &view) {
  std::string text;
  for (const auto &word : view.args) {
    text += (text.empty() ? "" : " ") + word;
  }
  if (text.size() > 20) {
    text = text.substr(0, 19) + "…";
  }
  return "\"" + text + "\"";
}

// What a --format template sees for a `ps` row: the JSON row plus docker's
// `ps --format` fields, which win where the names meet (Names and Command
// are docker's strings there, not lists).
nlohmann::json ps_template_row(const ContainerView &view, bool full) {
  auto row = view_json(view);
  row["ID"] = full ? view.record.id : short_id(view.record.id);
  row["Names"] = view.record.name;
  row["Command"] = command_text(view);
  row["CreatedAt"] = view.record.created;
  row["RunningFor"] = view.created_text();
  return row;
}

const HeaderNames &ps_headers() {
  static const HeaderNames headers = {
      {"ID", "CONTAINER ID"}, {"RunningFor", "CREATED"}, {"ImageID", "IMAGE ID"}};
  return headers;
}

int run_ps(Context &context, const strings &args) {
  po::options_description options("List options");
  options.add_options()("all,a", po::bool_switch(), "show all containers, not only running ones")(
      "quiet,q", po::bool_switch(), "print ids only")("no-trunc", po::bool_switch(),
                                                      "do not shorten ids");
  add_output_format_option(options);
  auto parsed = parse_command(context, args, "ps [OPTIONS]", "List containers.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  auto engine = context.open_engine();
  const auto views = value_or_exit(service(*engine).list(parsed.vm["all"].as<bool>()));
  const bool full = parsed.vm["no-trunc"].as<bool>();
  if (parsed.vm["quiet"].as<bool>()) {
    for (const auto &view : views) {
      std::cout << (full ? view.record.id : short_id(view.record.id)) << "\n";
    }
    return kExitOk;
  }
  if (format.kind() == OutputFormat::Kind::json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto &view : views) {
      list.push_back(view_json(view));
    }
    print_json(std::cout, list);
    return kExitOk;
  }
  if (format.is_template()) {
    std::vector<nlohmann::json> rows;
    rows.reserve(views.size());
    for (const auto &view : views) {
      rows.push_back(ps_template_row(view, full));
    }
    print_templated(format, rows, ps_headers());
    return kExitOk;
  }
  std::vector<strings> rows;
  rows.reserve(views.size());
  for (const auto &view : views) {
    rows.push_back({full ? view.record.id : short_id(view.record.id), view.record.config.image,
                    command_text(view), view.created_text(), view.status_text(), view.ports_text(),
                    view.record.name});
  }
  print_table(std::cout,
              {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}, rows);
  return kExitOk;
}

// For commands that act on each named container and print its name.
int for_each_container(
    Context &context, const strings &args, const std::string &usage, const std::string &summary,
    po::options_description &options,
    const std::function<sdk::Result<void>(ContainerService &, const po::variables_map &,
                                          const std::string &)> &action) {
  auto parsed = parse_command(context, args, usage, summary, options, {"container..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto names = operands(parsed.vm, "container");
  if (names.empty()) {
    throw UsageError("name at least one container; see 'berth " + context.command_path +
                     " --help'");
  }
  auto engine = context.open_engine();
  auto &containers = service(*engine);
  int code = kExitOk;
  for (const auto &name : names) {
    if (auto done = action(containers, parsed.vm, name); !done.ok()) {
      std::cerr << "Error response from berth: " << done.error().describe() << "\n";
      code = kExitFailure;
    } else {
      std::cout << name << "\n";
    }
  }
  return code;
}

int run_stop(Context &context, const strings &args) {
  po::options_description options("Stop options");
  options.add_options()("time,t", po::value<int>()->default_value(10),
                        "seconds to wait after SIGTERM before SIGKILL");
  return for_each_container(
      context, args, "stop [OPTIONS] CONTAINER...",
      "Stop containers: SIGTERM, then SIGKILL after the timeout.", options,
      [](ContainerService &s, const po::variables_map &vm, const std::string &name) {
        return s.stop(name, vm["time"].as<int>());
      });
}

int run_restart(Context &context, const strings &args) {
  po::options_description options("Restart options");
  options.add_options()("time,t", po::value<int>()->default_value(10),
                        "seconds to wait after SIGTERM before SIGKILL");
  return for_each_container(
      context, args, "restart [OPTIONS] CONTAINER...", "Stop and start containers again.", options,
      [](ContainerService &s, const po::variables_map &vm, const std::string &name) {
        return s.restart(name, vm["time"].as<int>());
      });
}

int run_kill(Context &context, const strings &args) {
  po::options_description options("Kill options");
  options.add_options()("signal,s", po::value<std::string>()->default_value("KILL"),
                        "signal to send (name or number)");
  return for_each_container(
      context, args, "kill [OPTIONS] CONTAINER...", "Send a signal to containers' main process.",
      options, [](ContainerService &s, const po::variables_map &vm, const std::string &name) {
        return s.kill(name, signal_number(vm["signal"].as<std::string>()));
      });
}

int run_rm(Context &context, const strings &args) {
  po::options_description options("Remove options");
  options.add_options()("force,f", po::bool_switch(), "kill and remove a running container")(
      "volumes,v", po::bool_switch(), "also remove the container's anonymous volumes");
  return for_each_container(
      context, args, "rm [OPTIONS] CONTAINER...", "Remove containers.", options,
      [](ContainerService &s, const po::variables_map &vm, const std::string &name) {
        return s.remove(name, vm["force"].as<bool>(), vm["volumes"].as<bool>());
      });
}

int run_wait(Context &context, const strings &args) {
  po::options_description options("Wait options");
  auto parsed = parse_command(context, args, "wait CONTAINER...",
                              "Block until containers stop, then print their exit codes.", options,
                              {"container..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  auto engine = context.open_engine();
  for (const auto &name : operands(parsed.vm, "container")) {
    std::cout << value_or_exit(service(*engine).wait(name), kExitFailure) << "\n";
  }
  return kExitOk;
}

int run_logs(Context &context, const strings &args) {
  po::options_description options("Logs options");
  options.add_options()("follow,f", po::bool_switch(),
                        "follow new output until the container stops")(
      "tail,n", po::value<std::string>()->default_value("all"),
      "lines from the end to show")("timestamps,t", po::bool_switch(), "show timestamps");
  auto parsed = parse_command(context, args, "logs [OPTIONS] CONTAINER",
                              "Show a container's output (json-file log).", options, {"container"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  if (parsed.vm.count("container") == 0U) {
    throw UsageError("name a container; see 'berth logs --help'");
  }
  LogRequest request;
  request.follow = parsed.vm["follow"].as<bool>();
  const auto tail = parsed.vm["tail"].as<std::string>();
  if (tail != "all") {
    try {
      request.tail = std::stoi(tail);
    } catch (const std::exception &) {
      throw UsageError("invalid --tail \"" + tail + "\": a number of lines or 'all'");
    }
  }
  const bool timestamps = parsed.vm["timestamps"].as<bool>();
  auto engine = context.open_engine();
  ok_or_fail(service(*engine).logs(parsed.vm["container"].as<std::string>(), request,
                                   [&](const LogLine &line) {
                                     auto &out = line.stream == "stderr" ? std::cerr : std::cout;
                                     if (timestamps) {
                                       out << line.time << " ";
                                     }
                                     out << line.text << std::flush;
                                   }));
  return kExitOk;
}

int run_exec(Context &context, const strings &args) {
  po::options_description options("Exec options");
  options.add_options()("interactive,i", po::bool_switch(), "keep STDIN open")(
      "tty,t", po::bool_switch(), "allocate a pseudo-terminal")(
      "env,e", po::value<strings>()->composing(),
      "set an environment variable")("user,u", po::value<std::string>(), "user[:group] to run as")(
      "workdir,w", po::value<std::string>(), "working directory inside the container");
  const auto split = first_operand(options, args);
  const strings head(args.begin(), args.begin() + static_cast<long>(split));
  auto parsed = parse_command(context, head, "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
                              "Run a command in a running container.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  if (split + 1 >= args.size()) {
    throw ExitError("berth: 'exec' needs a CONTAINER and a COMMAND; see 'berth exec --help'",
                    kExitEngine);
  }
  ExecRequest request;
  request.args.assign(args.begin() + static_cast<long>(split) + 1, args.end());
  for (const auto &value : operands(parsed.vm, "env")) {
    if (auto entry = env_entry(value)) {
      request.env.push_back(*entry);
    }
  }
  request.user = parsed.vm.count("user") != 0U ? parsed.vm["user"].as<std::string>() : "";
  request.workdir = parsed.vm.count("workdir") != 0U ? parsed.vm["workdir"].as<std::string>() : "";
  request.tty = parsed.vm["tty"].as<bool>();
  const bool interactive = parsed.vm["interactive"].as<bool>();
  auto engine = context.open_engine();
  // Pipes, not our own fds: the process must not get hold of the user's
  // terminal or files, which it could keep after it exits.
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  if ((interactive && ::pipe2(in, O_CLOEXEC) < 0) || ::pipe2(out, O_CLOEXEC) < 0 ||
      ::pipe2(err, O_CLOEXEC) < 0) {
    throw ExitError("berth: pipe2: " + std::string(std::strerror(errno)), kExitEngine);
  }
  ExecIo io{in[0], out[1], err[1]};
  auto handle = service(*engine).exec(args[split], request, io);
  for (int fd : {in[0], out[1], err[1]}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (!handle.ok()) {
    throw ExitError(handle.error().describe(), start_failure_code(handle.error()));
  }
  if (request.tty && handle->master.get() >= 0) {
    return relay_terminal(handle->master.get(), handle->pid, interactive);
  }
  return relay_pipes(in[1], out[0], err[0], handle->pid);
}

int run_inspect(Context &context, const strings &args) {
  po::options_description options("Inspect options");
  add_inspect_format_option(options);
  auto parsed =
      parse_command(context, args, "inspect [OPTIONS] CONTAINER...",
                    "Show containers' configuration and state as JSON.", options, {"container..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  auto engine = context.open_engine();
  std::vector<nlohmann::json> list;
  for (const auto &name : operands(parsed.vm, "container")) {
    auto found = service(*engine).inspect(name);
    if (!found.ok()) {
      // Docker's inspect also answers for images.
      auto image = value_or_fail(engine->images())->inspect(name);
      if (!image.ok()) {
        throw CommandError(found.error().describe());
      }
      list.push_back(*image);
      continue;
    }
    list.push_back(*found);
  }
  if (!print_templated(format, list)) {
    print_json(std::cout, nlohmann::json(list));
  }
  return kExitOk;
}

int run_top(Context &context, const strings &args) {
  po::options_description options("Top options");
  auto parsed = parse_command(context, args, "top CONTAINER", "Show a container's processes.",
                              options, {"container"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  if (parsed.vm.count("container") == 0U) {
    throw UsageError("name a container; see 'berth top --help'");
  }
  auto engine = context.open_engine();
  const auto table = value_or_fail(service(*engine).top(parsed.vm["container"].as<std::string>()));
  print_table(std::cout, table.titles, table.rows);
  return kExitOk;
}

// One container's sample as `stats --format json` prints it, with docker's
// `stats --format` fields (CPUPerc, MemUsage, PIDs) as the table shows them.
nlohmann::json stats_row(const std::string &name, const sdk::ContainerStats &stats, double cpu) {
  std::array<char, 16> percent{};
  std::snprintf(percent.data(), percent.size(), "%.2f%%", cpu);
  return {{"Name", name},
          {"CPUPercent", cpu},
          {"CPUNanoseconds", stats.cpu_usage_ns},
          {"MemoryBytes", stats.memory_bytes},
          {"MemoryLimitBytes", stats.memory_limit_bytes},
          {"Pids", stats.pids},
          {"PidsLimit", stats.pids_limit},
          {"Container", name},
          {"CPUPerc", percent.data()},
          {"MemUsage", human_bytes(stats.memory_bytes) + " / " +
                           (stats.memory_limit_bytes == 0 ? std::string("unlimited")
                                                          : human_bytes(stats.memory_limit_bytes))},
          {"PIDs", std::to_string(stats.pids)}};
}

const HeaderNames &stats_headers() {
  static const HeaderNames headers = {{"CPUPerc", "CPU %"},
                                      {"MemUsage", "MEM USAGE / LIMIT"},
                                      {"CPUPercent", "CPU %"},
                                      {"PIDs", "PIDS"}};
  return headers;
}

void print_stats(const OutputFormat &format, const std::vector<nlohmann::json> &samples,
                 bool clear_screen) {
  if (format.kind() == OutputFormat::Kind::json) {
    print_json(std::cout, nlohmann::json(samples));
    return;
  }
  if (clear_screen) {
    std::cout << "\033[2J\033[H";
  }
  if (!print_templated(format, samples, stats_headers())) {
    print_field_table(std::cout, {"NAME", "CPU %", "MEM USAGE / LIMIT", "PIDS"},
                      {"Name", "CPUPerc", "MemUsage", "PIDs"}, samples);
  }
}

int run_stats(Context &context, const strings &args) {
  po::options_description options("Stats options");
  options.add_options()("no-stream", po::bool_switch(), "print one sample and exit");
  add_output_format_option(options);
  auto parsed =
      parse_command(context, args, "stats [OPTIONS] [CONTAINER...]",
                    "Show containers' CPU, memory and process counts.", options, {"container..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  auto engine = context.open_engine();
  auto &containers = service(*engine);
  auto names = operands(parsed.vm, "container");
  if (names.empty()) {
    for (const auto &view : value_or_fail(containers.list(false))) {
      names.push_back(view.record.name);
    }
  }
  const bool stream = !parsed.vm["no-stream"].as<bool>();
  // CPU % needs two samples; the first pass only records them.
  std::map<std::string, std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> last;
  for (int pass = 0;; ++pass) {
    std::vector<nlohmann::json> samples;
    for (const auto &name : names) {
      const auto stats = value_or_fail(containers.stats(name));
      const auto now = std::chrono::steady_clock::now();
      double cpu = 0;
      if (auto before = last.find(name); before != last.end()) {
        const auto wall = std::chrono::duration<double, std::nano>(now - before->second.second);
        cpu = 100.0 * static_cast<double>(stats.cpu_usage_ns - before->second.first) /
              std::max(1.0, wall.count());
      }
      last[name] = {stats.cpu_usage_ns, now};
      samples.push_back(stats_row(name, stats, cpu));
    }
    if (pass > 0) {
      print_stats(format, samples, stream && ::isatty(STDOUT_FILENO) != 0);
      std::cout << std::flush;
      if (!stream) {
        return kExitOk;
      }
    }
    std::this_thread::sleep_for(pass == 0 ? std::chrono::milliseconds(500)
                                          : std::chrono::milliseconds(1000));
  }
}

int run_prune(Context &context, const strings &args) {
  po::options_description options("Prune options");
  options.add_options()("force,f", po::bool_switch(), "do not ask (berth never asks)");
  auto parsed = parse_command(context, args, "container prune [OPTIONS]",
                              "Remove all stopped containers.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  auto engine = context.open_engine();
  const auto removed = value_or_fail(service(*engine).prune());
  std::cout << "Deleted Containers:\n";
  for (const auto &id : removed) {
    std::cout << id << "\n";
  }
  return kExitOk;
}

const std::vector<Command> &container_subcommands() {
  static const std::vector<Command> table = {
      {"create", "create a container", run_create},
      {"start", "start stopped containers", run_start},
      {"run", "create and start a container", run_run},
      {"ls", "list containers", run_ps},
      {"ps", "list containers", run_ps},
      {"stop", "stop containers", run_stop},
      {"kill", "signal containers", run_kill},
      {"restart", "restart containers", run_restart},
      {"rm", "remove containers", run_rm},
      {"logs", "show a container's output", run_logs},
      {"exec", "run a command in a running container", run_exec},
      {"inspect", "show containers as JSON", run_inspect},
      {"wait", "wait for containers to stop", run_wait},
      {"top", "show a container's processes", run_top},
      {"stats", "show resource usage", run_stats},
      {"prune", "remove stopped containers", run_prune},
  };
  return table;
}

} // namespace

Command container_command() {
  return {"container", "containers: create, run, ps, stop, rm, logs, exec, ...",
          [](Context &context, const std::vector<std::string> &args) {
            return run_group(context, args, "container", "Manage containers.",
                             container_subcommands());
          }};
}

std::vector<Command> container_shorthands() {
  std::vector<Command> shorthands;
  for (const auto &command : container_subcommands()) {
    if (command.name != "ls" && command.name != "prune") {
      shorthands.push_back(command);
    }
  }
  return shorthands;
}

} // namespace berth::cli
