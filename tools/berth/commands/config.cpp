#include "cli.hpp"

#include <iostream>

namespace berth::cli {
namespace {

int run_validate(Context &context, const std::vector<std::string> &args) {
  auto parsed = parse_command(context, args, "config validate [FILE]",
                              "Check a stack file (default: the one berth would use) and its "
                              "plugins' options. Prints 'ok', or each problem as "
                              "FILE:LINE:COLUMN: key: message and exits 1.",
                              po::options_description{}, {"file"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  if (parsed.vm.count("file") != 0U) {
    context.engine_options.stack_file = parsed.vm["file"].as<std::string>();
  }
  (void)context.open_engine(StackCheck::full);
  std::cout << "ok\n";
  return kExitOk;
}

int run_show(Context &context, const std::vector<std::string> &args) {
  auto parsed = parse_command(context, args, "config show",
                              "Print the effective stack as YAML, with every default filled in.",
                              po::options_description{});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto engine = context.open_engine(StackCheck::full);
  std::cout << "# stack: " << engine->stack().source << "\n" << stack_to_yaml(engine->stack());
  return kExitOk;
}

int run_reference(Context &context, const std::vector<std::string> &args) {
  auto parsed = parse_command(context, args, "config reference",
                              "Print the Markdown reference of the stack file and of every "
                              "loaded plugin's options (docs/stack.md is this output).",
                              po::options_description{});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto engine = context.open_engine_for_plugins();
  std::cout << engine->stack_reference();
  return kExitOk;
}

int run_config(Context &context, const std::vector<std::string> &args) {
  return run_group(context, args, "config", "Validate, show and document stack files.",
                   {{"validate", "Check a stack file", run_validate},
                    {"show", "Print the effective stack", run_show},
                    {"reference", "Print the stack and plugin option reference", run_reference}});
}

} // namespace

Command config_command() {
  return {"config", "Validate, show and document stacks", run_config};
}

} // namespace berth::cli
