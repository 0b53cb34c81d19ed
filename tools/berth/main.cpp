// berth: the command line front end. It parses, calls the engine facade and
// prints; it never reaches into stores or plugins itself.
#include "cli.hpp"
#include "util/text.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>

namespace berth::cli {
namespace {

const std::vector<Command> &commands() {
  static const std::vector<Command> table = [] {
    std::vector<Command> all = {version_command(), info_command(),    plugins_command(),
                                config_command(),  image_command(),   container_command(),
                                volume_command(),  network_command(), port_command(), bench_command(),
                                system_command(),  sched_command(),   cp_command()};
    for (auto shorthands : {image_shorthands(), container_shorthands()}) {
      all.insert(all.end(), shorthands.begin(), shorthands.end());
    }
    return all;
  }();
  return table;
}

void print_help(std::ostream &out) {
  out << "Usage: berth [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\n"
         "berth is a container engine and orchestrator built from plugins.\n\nCommands:\n";
  for (const auto &command : commands()) {
    out << "  " << command.name << std::string(12 - command.name.size(), ' ') << command.summary
        << "\n";
  }
  out << "\n"
      << global_options() << "  -h [ --help ]             show this help\n"
      << "  -v [ --version ]          print the version\n"
      << "\nRun 'berth COMMAND --help' for more on a command.\n";
}

// berth's own plugins sit at a fixed place relative to its binary (for
// example ../lib/berth/plugins), in the build tree and an installed prefix.
std::vector<std::filesystem::path> builtin_plugin_dirs() {
  std::error_code error;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return {};
  }
  return {(exe.parent_path() / BERTH_PLUGIN_DIR_FROM_BINDIR).lexically_normal()};
}

// Global options stop at the first word that is not an option: the command.
std::size_t find_command(const std::vector<std::string> &args) {
  std::size_t i = 0;
  while (i < args.size() && args[i].rfind('-', 0) == 0) {
    const auto &arg = args[i];
    const bool takes_value = (arg == "--stack" || arg == "--root" || arg == "--log-level");
    i += takes_value ? 2 : 1;
  }
  return std::min(i, args.size());
}

int dispatch(Context &context, const std::string &name, const std::vector<std::string> &rest) {
  std::vector<std::string> names;
  for (const auto &command : commands()) {
    names.push_back(command.name);
    if (command.name == name) {
      context.command_path = name;
      return command.run(context, rest);
    }
  }
  throw UsageError("unknown command '" + name + "'" + did_you_mean(name, names) +
                   "; see 'berth --help'");
}

int run(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto split = find_command(args);
  const std::vector<std::string> globals(args.begin(), args.begin() + static_cast<long>(split));
  Context context;
  context.engine_options.builtin_plugin_dirs = builtin_plugin_dirs();
  std::error_code no_exe;
  context.engine_options.helper_dir =
      std::filesystem::read_symlink("/proc/self/exe", no_exe).parent_path();

  po::options_description top = global_options();
  top.add_options()("help,h", "show this help")("version,v", "print the version");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(globals).options(top).run(), vm);
  } catch (const po::error &e) {
    throw UsageError(std::string(e.what()) + "; see 'berth --help'");
  }
  if (vm.count("version") != 0U) {
    std::cout << "berth version " << berth_version() << "\n";
    return kExitOk;
  }
  const bool no_command = split == args.size();
  if (vm.count("help") != 0U || no_command) {
    print_help(no_command && vm.count("help") == 0U ? std::cerr : std::cout);
    return no_command && vm.count("help") == 0U ? kExitUsage : kExitOk;
  }
  apply_global_options(vm, context);
  const std::vector<std::string> rest(args.begin() + static_cast<long>(split) + 1, args.end());
  if (args[split] == "help") {
    if (rest.empty()) {
      print_help(std::cout);
      return kExitOk;
    }
    std::vector<std::string> help_args(rest.begin() + 1, rest.end());
    help_args.emplace_back("--help");
    return dispatch(context, rest.front(), help_args);
  }
  return dispatch(context, args[split], rest);
}

extern "C" void on_interrupt(int /*signal*/) {
  Engine::request_cancel();
}

} // namespace
} // namespace berth::cli

int main(int argc, char **argv) {
  using namespace berth::cli;
  // Ctrl-C asks running operations to stop and roll back; a second one kills.
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  // A reader that goes away (`berth logs | head`, a monitor that exits) is
  // an EPIPE to handle, not a reason to die with the work half done.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const UsageError &e) {
    std::cerr << "berth: " << e.what() << "\n";
    return kExitUsage;
  } catch (const ExitError &e) {
    std::cerr << e.what() << "\n";
    return e.code();
  } catch (const CommandError &e) {
    std::cerr << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception &e) {
    std::cerr << "berth: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}
