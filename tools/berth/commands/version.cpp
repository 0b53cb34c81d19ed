#include "cli.hpp"
#include "output.hpp"
#include <iostream>

namespace berth::cli {

std::string berth_version() {
  return BERTH_VERSION;
}

namespace {

int run_version(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Version options");
  add_output_format_option(options);
  auto parsed = parse_command(context, args, "version [OPTIONS]",
                              "Print berth's version, its plugin ABI and toolchain.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  const auto abi = Engine::plugin_abi();
  const nlohmann::json version = {
      {"version", berth_version()}, {"pluginAbi", abi}, {"toolchain", Engine::toolchain_tag()}};
  if (format.kind() == OutputFormat::Kind::json) {
    print_json(std::cout, version);
    return kExitOk;
  }
  if (print_templated(format, {version})) {
    return kExitOk;
  }
  std::cout << "berth version " << berth_version() << "\n"
            << "plugin ABI:   " << abi << "\n"
            << "toolchain:    " << Engine::toolchain_tag() << "\n";
  return kExitOk;
}

} // namespace

Command version_command() {
  return {"version", "Print the version, plugin ABI and toolchain", run_version};
}

} // namespace berth::cli
