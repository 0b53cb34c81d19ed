#include "cli.hpp"

#include "log/logging.hpp"
#include "util/text.hpp"

#include <iostream>
#include <sstream>

namespace berth::cli {

po::options_description global_options() {
  po::options_description options("Global options");
  options.add_options()                                                       //
      ("stack", po::value<std::string>()->value_name("FILE"),                 //
       "stack file (default: $BERTH_STACK, /etc/berth/stack.yaml, built-in)") //
      ("root", po::value<std::string>()->value_name("DIR"),                   //
       "state directory, overriding the stack's root")                        //
      ("log-level", po::value<std::string>()->value_name("LEVEL"),            //
       "trace, debug, info, warn or error, overriding the stack's");
  return options;
}

void apply_global_options(const po::variables_map &vm, Context &context) {
  if (vm.count("stack") != 0U) {
    const auto stack = vm["stack"].as<std::string>();
    if (stack.empty()) {
      throw UsageError("--stack needs a file");
    }
    context.engine_options.stack_file = stack;
  }
  if (vm.count("root") != 0U) {
    const auto root = vm["root"].as<std::string>();
    if (root.empty()) {
      throw UsageError("--root needs a directory");
    }
    context.engine_options.root = root;
  }
  if (vm.count("log-level") != 0U) {
    const auto text = vm["log-level"].as<std::string>();
    auto level = parse_log_level(text);
    if (!level) {
      throw UsageError("invalid --log-level '" + text + "' (use " + join(log_level_names(), ", ") +
                       ")");
    }
    context.engine_options.log_level = level;
  }
}

std::unique_ptr<Engine> Context::open_engine(StackCheck check) const {
  auto opened = Engine::open(engine_options, check);
  if (!opened.engine) {
    throw CommandError(to_lines(opened.diagnostics));
  }
  return std::move(opened.engine);
}

std::unique_ptr<Engine> Context::open_engine_for_plugins() const {
  auto opened = Engine::open(engine_options, StackCheck::plugins_only);
  if (!opened.engine) {
    throw CommandError(to_lines(opened.diagnostics));
  }
  for (const auto &diagnostic : opened.diagnostics) {
    std::cerr << "warning: " << diagnostic.to_string() << "\n";
  }
  return std::move(opened.engine);
}

ParsedCommand parse_command(Context &context, const std::vector<std::string> &args,
                            const std::string &usage, const std::string &summary,
                            const po::options_description &options,
                            const std::vector<std::string> &positionals) {
  po::options_description help("Options");
  help.add_options()("help,h", "show this help");
  po::options_description hidden;
  po::positional_options_description positional;
  for (const auto &name : positionals) {
    if (name.ends_with("...")) {
      const auto key = name.substr(0, name.size() - 3);
      hidden.add_options()(key.c_str(), po::value<std::vector<std::string>>());
      positional.add(key.c_str(), -1);
    } else {
      hidden.add_options()(name.c_str(), po::value<std::string>());
      positional.add(name.c_str(), 1);
    }
  }
  po::options_description all;
  all.add(options).add(help).add(global_options()).add(hidden);
  ParsedCommand parsed;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), parsed.vm);
    po::notify(parsed.vm);
  } catch (const po::error &e) {
    throw UsageError(std::string(e.what()) + "; see 'berth " + context.command_path + " --help'");
  }
  if (parsed.vm.count("help") != 0U) {
    std::cout << "Usage: berth " << usage << "\n\n" << summary << "\n\n";
    if (!options.options().empty()) {
      std::cout << options << "\n";
    }
    std::cout << help << "\n" << global_options();
    parsed.help_shown = true;
    return parsed;
  }
  apply_global_options(parsed.vm, context);
  return parsed;
}

void add_format_option(po::options_description &options) {
  options.add_options()("format", po::value<std::string>()->default_value("table"),
                        "output format: table or json");
}

Format format_option(const po::variables_map &vm) {
  const auto text = vm["format"].as<std::string>();
  if (text == "table") {
    return Format::table;
  }
  if (text == "json") {
    return Format::json;
  }
  throw UsageError("invalid --format '" + text + "' (use table or json)");
}

void add_output_format_option(po::options_description &options) {
  options.add_options()("format", po::value<std::string>()->value_name("FORMAT"),
                        "table (default), json, or a Go template: '{{.ID}} {{.Status}}', "
                        "'table {{.ID}}\\t{{.Status}}'");
}

void add_inspect_format_option(po::options_description &options) {
  options.add_options()("format,f", po::value<std::string>()->value_name("FORMAT"),
                        "json (default) or a Go template for each item: '{{.State.Pid}}'");
}

OutputFormat output_format(const po::variables_map &vm) {
  try {
    return OutputFormat::parse(vm.count("format") != 0U ? vm["format"].as<std::string>() : "");
  } catch (const TemplateError &e) {
    throw UsageError(e.what());
  }
}

bool print_templated(const OutputFormat &format, const std::vector<nlohmann::json> &items,
                     const HeaderNames &headers) {
  if (!format.is_template()) {
    return false;
  }
  try {
    std::cout << format.render(items, headers) << std::flush;
  } catch (const TemplateError &e) {
    throw CommandError(e.what());
  }
  return true;
}

int run_group(Context &context, const std::vector<std::string> &args, const std::string &group,
              const std::string &summary, const std::vector<Command> &subcommands) {
  auto print_help = [&](std::ostream &out) {
    out << "Usage: berth " << group << " COMMAND [OPTIONS]\n\n" << summary << "\n\nCommands:\n";
    for (const auto &command : subcommands) {
      out << "  " << command.name
          << std::string(12 - std::min<std::size_t>(command.name.size(), 11), ' ')
          << command.summary << "\n";
    }
    out << "\nRun 'berth " << group << " COMMAND --help' for more on a command.\n";
  };
  if (args.empty() || args.front() == "--help" || args.front() == "-h" || args.front() == "help") {
    print_help(args.empty() ? std::cerr : std::cout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::vector<std::string> names;
  for (const auto &command : subcommands) {
    names.push_back(command.name);
    if (command.name == args.front()) {
      context.command_path = group + " " + command.name;
      return command.run(context, std::vector<std::string>(args.begin() + 1, args.end()));
    }
  }
  throw UsageError("unknown command '" + group + " " + args.front() + "'" +
                   did_you_mean(args.front(), names) + "; see 'berth " + group + " --help'");
}

} // namespace berth::cli
