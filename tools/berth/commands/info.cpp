#include "cli.hpp"
#include "output.hpp"

#include <iostream>

namespace berth::cli {
namespace {

nlohmann::json drivers_json(const Engine &engine) {
  nlohmann::json drivers = nlohmann::json::object();
  for (const auto kind : kAllPluginKinds) {
    const auto chosen = engine.chosen_plugin(kind);
    drivers[std::string(kind_name(kind))] =
        chosen.empty() ? nlohmann::json() : nlohmann::json(chosen);
  }
  return drivers;
}

nlohmann::json plugin_counts(const PluginRegistry &registry) {
  nlohmann::json counts = {{"loaded", 0}, {"skipped", 0}, {"refused", 0}};
  for (const auto &entry : registry.entries()) {
    counts[std::string(status_name(entry.status))] =
        counts[std::string(status_name(entry.status))].get<int>() + 1;
  }
  return counts;
}

nlohmann::json host_json(const HostFacts &host) {
  return {{"kernel", host.kernel},       {"architecture", host.architecture},
          {"cpus", host.cpus},           {"memoryBytes", host.memory_bytes},
          {"overlayfs", host.overlayfs}, {"cgroup", host.cgroup},
          {"seccomp", host.seccomp}};
}

nlohmann::json info_json(const Engine &engine) {
  nlohmann::json dirs = nlohmann::json::array();
  for (const auto &dir : engine.plugin_dirs()) {
    dirs.push_back(dir.string());
  }
  return {{"version", berth_version()},
          {"stack", engine.stack().source},
          {"root", engine.root().string()},
          {"pluginDirs", dirs},
          {"drivers", drivers_json(engine)},
          {"plugins", plugin_counts(engine.plugins())},
          {"host", host_json(Engine::host_facts())}};
}

void print_info(const nlohmann::json &info) {
  auto yes_no = [](bool value) { return value ? "yes" : "no"; };
  std::cout << "Version:      " << info["version"].get<std::string>() << "\n"
            << "Stack:        " << info["stack"].get<std::string>() << "\n"
            << "Root:         " << info["root"].get<std::string>() << "\n"
            << "Plugin dirs:  ";
  std::string dirs;
  for (const auto &dir : info["pluginDirs"]) {
    dirs += (dirs.empty() ? "" : ", ") + dir.get<std::string>();
  }
  std::cout << (dirs.empty() ? "none" : dirs) << "\nDrivers:\n";
  for (const auto kind : kAllPluginKinds) { // stack order, not the JSON object's
    const std::string name(kind_name(kind));
    const auto &chosen = info["drivers"][name];
    std::cout << "  " << name << ":" << std::string(12 - name.size(), ' ')
              << (chosen.is_null() ? "(not configured)" : chosen.get<std::string>()) << "\n";
  }
  const auto &plugins = info["plugins"];
  std::cout << "Plugins:      " << plugins["loaded"] << " loaded, " << plugins["skipped"]
            << " skipped, " << plugins["refused"] << " refused\n";
  const auto &host = info["host"];
  std::cout << "Host:\n"
            << "  kernel:     " << host["kernel"].get<std::string>() << " ("
            << host["architecture"].get<std::string>() << ")\n"
            << "  cpus:       " << host["cpus"] << "\n"
            << "  memory:     " << human_bytes(host["memoryBytes"].get<std::uint64_t>()) << "\n"
            << "  overlayfs:  " << yes_no(host["overlayfs"].get<bool>()) << "\n"
            << "  cgroups:    " << host["cgroup"].get<std::string>() << "\n"
            << "  seccomp:    " << yes_no(host["seccomp"].get<bool>()) << "\n";
}

int run_info(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Info options");
  add_output_format_option(options);
  auto parsed =
      parse_command(context, args, "info [OPTIONS]",
                    "Show the stack in use, the chosen drivers and the host's facts.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  const auto engine = context.open_engine(StackCheck::full);
  const auto info = info_json(*engine);
  if (format.kind() == OutputFormat::Kind::json) {
    print_json(std::cout, info);
  } else if (!print_templated(format, {info})) {
    print_info(info);
  }
  return kExitOk;
}

} // namespace

Command info_command() {
  return {"info", "Show the stack, the chosen drivers and host facts", run_info};
}

} // namespace berth::cli
