#include "cli.hpp"
#include "output.hpp"

#include <iostream>

namespace berth::cli {
namespace {

using strings = std::vector<std::string>;

ContainerService &service(Engine &engine) {
  return *value_or_fail(engine.containers());
}

nlohmann::json volume_json(const VolumeRecord &volume) {
  return {{"Name", volume.name},
          {"Driver", "local"},
          {"Mountpoint", volume.mountpoint},
          {"CreatedAt", volume.created},
          {"Labels", volume.labels},
          {"Anonymous", volume.anonymous},
          {"Scope", "local"}};
}

int run_create(Context &context, const strings &args) {
  po::options_description options("Create options");
  options.add_options()("label,l", po::value<strings>()->composing(), "set metadata KEY=VALUE");
  auto parsed =
      parse_command(context, args, "volume create [OPTIONS] [NAME]",
                    "Create a named volume (a random name when none is given).", options, {"name"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  std::map<std::string, std::string> labels;
  for (const auto &value :
       parsed.vm.count("label") != 0U ? parsed.vm["label"].as<strings>() : strings{}) {
    auto [key, text] = value_or_fail(parse_key_value("--label", value));
    labels[key] = text;
  }
  const auto name = parsed.vm.count("name") != 0U ? parsed.vm["name"].as<std::string>() : "";
  auto engine = context.open_engine();
  std::cout << value_or_fail(service(*engine).create_volume(name, labels)).name << "\n";
  return kExitOk;
}

int run_ls(Context &context, const strings &args) {
  po::options_description options("List options");
  options.add_options()("quiet,q", po::bool_switch(), "print names only");
  add_output_format_option(options);
  auto parsed = parse_command(context, args, "volume ls [OPTIONS]", "List volumes.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  auto engine = context.open_engine();
  const auto volumes = value_or_fail(service(*engine).list_volumes());
  if (parsed.vm["quiet"].as<bool>()) {
    for (const auto &volume : volumes) {
      std::cout << volume.name << "\n";
    }
    return kExitOk;
  }
  std::vector<nlohmann::json> list;
  list.reserve(volumes.size());
  for (const auto &volume : volumes) {
    list.push_back(volume_json(volume));
  }
  if (format.kind() == OutputFormat::Kind::json) {
    print_json(std::cout, nlohmann::json(list));
    return kExitOk;
  }
  if (print_templated(format, list, {{"Name", "VOLUME NAME"}})) {
    return kExitOk;
  }
  std::vector<strings> rows;
  rows.reserve(volumes.size());
  for (const auto &volume : volumes) {
    rows.push_back({"local", volume.name});
  }
  print_table(std::cout, {"DRIVER", "VOLUME NAME"}, rows);
  return kExitOk;
}

int run_inspect(Context &context, const strings &args) {
  po::options_description options("Inspect options");
  add_inspect_format_option(options);
  auto parsed = parse_command(context, args, "volume inspect [OPTIONS] VOLUME...",
                              "Show volumes as JSON.", options, {"volume..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  auto engine = context.open_engine();
  std::vector<nlohmann::json> list;
  for (const auto &name :
       parsed.vm.count("volume") != 0U ? parsed.vm["volume"].as<strings>() : strings{}) {
    list.push_back(volume_json(value_or_fail(service(*engine).inspect_volume(name))));
  }
  if (!print_templated(format, list)) {
    print_json(std::cout, nlohmann::json(list));
  }
  return kExitOk;
}

int run_rm(Context &context, const strings &args) {
  po::options_description options("Remove options");
  options.add_options()("force,f", po::bool_switch(), "no error for a volume that does not exist");
  auto parsed = parse_command(context, args, "volume rm [OPTIONS] VOLUME...",
                              "Remove volumes no container uses.", options, {"volume..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto names =
      parsed.vm.count("volume") != 0U ? parsed.vm["volume"].as<strings>() : strings{};
  if (names.empty()) {
    throw UsageError("name at least one volume; see 'berth volume rm --help'");
  }
  auto engine = context.open_engine();
  for (const auto &name : names) {
    ok_or_fail(service(*engine).remove_volume(name, parsed.vm["force"].as<bool>()));
    std::cout << name << "\n";
  }
  return kExitOk;
}

int run_prune(Context &context, const strings &args) {
  po::options_description options("Prune options");
  options.add_options()("all,a", po::bool_switch(), "named volumes too, not only anonymous ones")(
      "force,f", po::bool_switch(), "do not ask (berth never asks)");
  auto parsed = parse_command(context, args, "volume prune [OPTIONS]",
                              "Remove volumes no container uses.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  auto engine = context.open_engine();
  const auto removed = value_or_fail(service(*engine).prune_volumes(parsed.vm["all"].as<bool>()));
  std::cout << "Deleted Volumes:\n";
  for (const auto &name : removed) {
    std::cout << name << "\n";
  }
  return kExitOk;
}

} // namespace

Command volume_command() {
  return {"volume", "volumes: create, ls, inspect, rm, prune",
          [](Context &context, const std::vector<std::string> &args) {
            return run_group(context, args, "volume", "Manage volumes.",
                             {{"create", "create a volume", run_create},
                              {"ls", "list volumes", run_ls},
                              {"inspect", "show volumes as JSON", run_inspect},
                              {"rm", "remove volumes", run_rm},
                              {"prune", "remove unused volumes", run_prune}});
          }};
}

} // namespace berth::cli
