// berth cp: files between a container and the host, either way, with
// Docker's rules for where they land (core/container/container_copy.hpp).
#include "cli.hpp"
#include "container/container_copy.hpp"

namespace berth::cli {
namespace {

constexpr const char *kUsage = "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH\n"
                               "       berth cp [OPTIONS] SRC_PATH CONTAINER:DEST_PATH";
constexpr const char *kSummary =
    "Copy files or directories between a container and the host. SRC_PATH ending in '/.' "
    "copies a directory's contents.";

// One side of the copy: a path in a container, or (container empty) a host path.
struct Operand {
  std::string container;
  std::string path;
  std::string given;
};

// Docker's reading of NAME:PATH: an argument starting with '/' or '.' is a
// host path even when it holds a ':'.
Operand split_operand(const std::string &arg, const Context &context) {
  const auto colon = arg.find(':');
  if (arg.starts_with('/') || arg.starts_with('.') || colon == std::string::npos) {
    if (arg == "-") {
      throw UsageError("'-' (a tar stream) is not supported; name a path");
    }
    return {"", arg, arg};
  }
  if (colon == 0 || colon + 1 == arg.size()) {
    throw UsageError("'" + arg +
                     "' needs both a container and a path, as CONTAINER:PATH; see 'berth " +
                     context.command_path + " --help'");
  }
  return {arg.substr(0, colon), arg.substr(colon + 1), arg};
}

Operand operand(const po::variables_map &vm, const char *name, const Context &context) {
  if (vm.count(name) == 0U) {
    throw UsageError("cp needs a source and a destination; see 'berth " + context.command_path +
                     " --help'");
  }
  return split_operand(vm[name].as<std::string>(), context);
}

void require_one_container(const Operand &source, const Operand &destination,
                           const Context &context) {
  if (!source.container.empty() && !destination.container.empty()) {
    throw UsageError("copying between containers is not supported; copy to the host first");
  }
  if (source.container.empty() && destination.container.empty()) {
    throw UsageError("one of the paths must name a container, as CONTAINER:PATH; see 'berth " +
                     context.command_path + " --help'");
  }
}

// Errors about the container's path name it as the user wrote it.
void ok_or_fail_naming(sdk::Result<void> result, const Operand &inside) {
  if (result.ok()) {
    return;
  }
  auto error = std::move(result).error();
  if (error.context == inside.path) {
    error.context = inside.given;
  }
  throw CommandError(error.describe());
}

int run_cp(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Copy options");
  auto parsed = parse_command(context, args, kUsage, kSummary, options, {"source", "destination"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto source = operand(parsed.vm, "source", context);
  const auto destination = operand(parsed.vm, "destination", context);
  require_one_container(source, destination, context);

  auto engine = context.open_engine();
  auto *service = value_or_fail(engine->containers());
  if (!source.container.empty()) {
    const auto root = value_or_fail(service->filesystem_root(source.container));
    ok_or_fail_naming(copy_out(root, source.path, destination.path), source);
  } else {
    const auto root = value_or_fail(service->filesystem_root(destination.container));
    ok_or_fail_naming(copy_in(source.path, root, destination.path), destination);
  }
  return kExitOk;
}

} // namespace

Command cp_command() {
  return {"cp", "copy files between a container and the host", run_cp};
}

} // namespace berth::cli
