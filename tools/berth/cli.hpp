// Shared pieces of the berth command line: the command table, option
// parsing with --help on every command, output formats and errors.
#pragma once

#include "engine/engine.hpp"
#include "format/output_format.hpp"

#include <boost/program_options.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::cli {

namespace po = boost::program_options;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1; // the command ran and failed
inline constexpr int kExitUsage = 2;   // the command line was wrong

// A wrong command line: printed as one line, exit 2.
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A failure of the command itself: printed as one line, exit 1.
class CommandError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A failure with its own exit code (Docker's 125/126/127 for run and exec);
// printed as one line.
class ExitError : public CommandError {
public:
  ExitError(const std::string &what, int code) : CommandError(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

private:
  int code_;
};

// What every command receives: the global options and the way to the engine.
struct Context {
  EngineOptions engine_options;
  std::string command_path; // "plugins ls", for messages

  // Opens the engine or throws: stack errors print as they are, exit 1.
  // Commands that check the stack or schedule ask for StackCheck::full.
  [[nodiscard]] std::unique_ptr<Engine> open_engine(StackCheck check = StackCheck::engine) const;
  // For commands that inspect plugins: problems with the plugins the stack
  // names are printed as warnings, and the command goes on.
  [[nodiscard]] std::unique_ptr<Engine> open_engine_for_plugins() const;
};

struct Command {
  std::string name;
  std::string summary;
  std::function<int(Context &, const std::vector<std::string> &)> run;
};

// The options every command also accepts (--stack, --root, --log-level).
po::options_description global_options();

// Applies parsed global options to the context.
void apply_global_options(const po::variables_map &vm, Context &context);

struct ParsedCommand {
  po::variables_map vm;
  bool help_shown = false;
};

// Parses a command's arguments with its options plus --help and the global
// options. usage is the synopsis after "berth ", e.g. "plugins ls [OPTIONS]".
// Each of positionals names one optional positional argument, read back as
// vm[name].as<std::string>(); a last name ending in "..." takes all the rest,
// read back (without the dots) as std::vector<std::string>.
ParsedCommand parse_command(Context &context, const std::vector<std::string> &args,
                            const std::string &usage, const std::string &summary,
                            const po::options_description &options,
                            const std::vector<std::string> &positionals = {});

// The value of an engine call, or a CommandError with its one-line message.
template <class T> T value_or_fail(sdk::Result<T> result) {
  if (!result.ok()) {
    throw CommandError(result.error().describe());
  }
  return std::move(result).value();
}
inline void ok_or_fail(const sdk::Result<void> &result) {
  if (!result.ok()) {
    throw CommandError(result.error().describe());
  }
}

enum class Format { table, json };

// --format, validated, for commands that print only their table or JSON.
Format format_option(const po::variables_map &vm);
void add_format_option(po::options_description &options);

// --format as docker reads it: the command's table, json, or a Go template
// over the objects `--format json` prints ("table TEMPLATE" for columns).
// A template that does not parse is a usage error.
void add_output_format_option(po::options_description &options);
// inspect's -f/--format: JSON by default, or a Go template for each item.
void add_inspect_format_option(po::options_description &options);
OutputFormat output_format(const po::variables_map &vm);

// Prints items through format's template and returns true; false when the
// format is not a template. A template that fails on an item is a
// CommandError.
bool print_templated(const OutputFormat &format, const std::vector<nlohmann::json> &items,
                     const HeaderNames &headers = {});

// Dispatches to one of subcommands ("plugins ls"); prints the group's help
// when called bare or with --help.
int run_group(Context &context, const std::vector<std::string> &args, const std::string &group,
              const std::string &summary, const std::vector<Command> &subcommands);

// The commands, one function per file in commands/.
Command version_command();
Command info_command();
Command plugins_command();
Command config_command();
Command sched_command();
Command image_command();
Command system_command();
Command container_command();
Command volume_command();
Command network_command();
Command port_command();
Command cp_command();
Command bench_command();
// Docker's top-level shorthands for container subcommands: run, ps, rm, ...
std::vector<Command> container_shorthands();
// Docker's top-level shorthands for image subcommands: images, import, load,
// save, history, tag, rmi.
std::vector<Command> image_shorthands();

std::string berth_version();

} // namespace berth::cli
