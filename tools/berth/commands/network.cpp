// `berth network ...`: user-defined networks and the containers on them. The
// engine's NetworkService does the work; this file parses and prints in
// Docker's shapes, so that scripts written for `docker network` keep working.
#include "cli.hpp"
#include "output.hpp"

#include <algorithm>
#include <iostream>
#include <map>

namespace berth::cli {
namespace {

using strings = std::vector<std::string>;

constexpr std::size_t kShortId = 12;

NetworkService &networks(Engine &engine) {
  return *value_or_fail(engine.networks());
}

ContainerService &containers(Engine &engine) {
  return *value_or_fail(engine.containers());
}

strings list(const po::variables_map &vm, const char *name) {
  return vm.count(name) != 0U ? vm[name].as<strings>() : strings{};
}

std::string text(const po::variables_map &vm, const char *name) {
  return vm.count(name) != 0U ? vm[name].as<std::string>() : std::string{};
}

std::map<std::string, std::string> key_values(const strings &values, const std::string &flag) {
  std::map<std::string, std::string> out;
  for (const auto &value : values) {
    auto [key, text] = value_or_fail(parse_key_value(flag, value));
    out[key] = std::move(text);
  }
  return out;
}

std::string shown_id(const NetworkRecord &record, bool no_trunc) {
  const auto &id = record.network.id;
  return no_trunc ? id : id.substr(0, kShortId);
}

// The fields `docker network ls --format json` prints.
nlohmann::json list_json(const NetworkRecord &record, bool no_trunc) {
  return {{"ID", shown_id(record, no_trunc)},
          {"Name", record.network.name},
          {"Driver", record.driver},
          {"Scope", "local"},
          {"Internal", record.network.internal},
          {"IPv6", false},
          {"Labels", record.labels},
          {"CreatedAt", record.created}};
}

int run_create(Context &context, const strings &args) {
  po::options_description options("Create options");
  options.add_options()("driver,d", po::value<std::string>()->value_name("NAME"),
                        "network driver plugin (default: the default network's)")(
      "subnet", po::value<std::string>()->value_name("CIDR"),
      "IPv4 subnet, e.g. 10.90.0.0/24 (default: a free one)")(
      "gateway", po::value<std::string>()->value_name("IP"),
      "gateway address in the subnet (default: its first address)")(
      "internal", po::bool_switch(), "no traffic leaves the network")(
      "opt,o", po::value<strings>()->composing()->value_name("KEY=VALUE"), "driver option")(
      "label", po::value<strings>()->composing()->value_name("KEY=VALUE"), "set metadata");
  auto parsed = parse_command(context, args, "network create [OPTIONS] NETWORK",
                              "Create a network; prints its id.", options, {"network"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  NetworkCreateRequest request;
  request.name = text(parsed.vm, "network");
  if (request.name.empty()) {
    throw UsageError("name the network; see 'berth network create --help'");
  }
  request.driver = text(parsed.vm, "driver");
  request.subnet = text(parsed.vm, "subnet");
  request.gateway = text(parsed.vm, "gateway");
  request.internal = parsed.vm["internal"].as<bool>();
  request.options = key_values(list(parsed.vm, "opt"), "--opt");
  request.labels = key_values(list(parsed.vm, "label"), "--label");
  auto engine = context.open_engine();
  std::cout << value_or_fail(networks(*engine).create(request)).network.id << "\n";
  return kExitOk;
}

int run_ls(Context &context, const strings &args) {
  po::options_description options("List options");
  options.add_options()("quiet,q", po::bool_switch(),
                        "print ids only")("no-trunc", po::bool_switch(), "print full ids");
  add_output_format_option(options);
  auto parsed = parse_command(context, args, "network ls [OPTIONS]", "List networks.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  const bool no_trunc = parsed.vm["no-trunc"].as<bool>();
  auto engine = context.open_engine();
  auto records = value_or_fail(networks(*engine).list());
  std::sort(records.begin(), records.end(),
            [](const auto &a, const auto &b) { return a.network.name < b.network.name; });
  if (parsed.vm["quiet"].as<bool>()) {
    for (const auto &record : records) {
      std::cout << shown_id(record, no_trunc) << "\n";
    }
    return kExitOk;
  }
  std::vector<nlohmann::json> out;
  out.reserve(records.size());
  for (const auto &record : records) {
    out.push_back(list_json(record, no_trunc));
  }
  if (format.kind() == OutputFormat::Kind::json) {
    print_json(std::cout, nlohmann::json(out));
    return kExitOk;
  }
  if (print_templated(format, out, {{"ID", "NETWORK ID"}})) {
    return kExitOk;
  }
  std::vector<strings> rows;
  rows.reserve(records.size());
  for (const auto &record : records) {
    rows.push_back({shown_id(record, no_trunc), record.network.name, record.driver, "local"});
  }
  print_table(std::cout, {"NETWORK ID", "NAME", "DRIVER", "SCOPE"}, rows);
  return kExitOk;
}

// Like Docker: what was found is printed, each miss is an error line, and
// any miss fails the command.
int run_inspect(Context &context, const strings &args) {
  po::options_description options("Inspect options");
  add_inspect_format_option(options);
  auto parsed = parse_command(context, args, "network inspect [OPTIONS] NETWORK...",
                              "Show networks as JSON.", options, {"network..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = output_format(parsed.vm);
  const auto names = list(parsed.vm, "network");
  if (names.empty()) {
    throw UsageError("name at least one network; see 'berth network inspect --help'");
  }
  auto engine = context.open_engine();
  std::vector<nlohmann::json> out;
  strings errors;
  for (const auto &name : names) {
    auto found = networks(*engine).inspect(name);
    if (found.ok()) {
      out.push_back(std::move(found).value());
    } else {
      errors.push_back(found.error().describe());
    }
  }
  if (!print_templated(format, out)) {
    print_json(std::cout, nlohmann::json(out));
  }
  for (const auto &error : errors) {
    std::cerr << error << "\n";
  }
  return errors.empty() ? kExitOk : kExitFailure;
}

// Removes each network it can, as docker does, and fails if any could not go.
int run_rm(Context &context, const strings &args) {
  po::options_description options("Remove options");
  auto parsed = parse_command(context, args, "network rm NETWORK...",
                              "Remove networks no container uses.", options, {"network..."});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto names = list(parsed.vm, "network");
  if (names.empty()) {
    throw UsageError("name at least one network; see 'berth network rm --help'");
  }
  auto engine = context.open_engine();
  bool failed = false;
  for (const auto &name : names) {
    auto removed = networks(*engine).remove(name);
    if (removed.ok()) {
      std::cout << name << "\n";
    } else {
      std::cerr << removed.error().describe() << "\n";
      failed = true;
    }
  }
  return failed ? kExitFailure : kExitOk;
}

// NETWORK and CONTAINER, both required.
std::pair<std::string, std::string> network_and_container(const ParsedCommand &parsed,
                                                          const std::string &command) {
  const auto network = text(parsed.vm, "network");
  const auto container = text(parsed.vm, "container");
  if (network.empty() || container.empty()) {
    throw UsageError("'berth network " + command + "' needs a NETWORK and a CONTAINER; see " +
                     "'berth network " + command + " --help'");
  }
  return {network, container};
}

int run_connect(Context &context, const strings &args) {
  po::options_description options("Connect options");
  options.add_options()("ip", po::value<std::string>()->value_name("IPv4"),
                        "the container's address on the network (default: a free one)")(
      "alias", po::value<strings>()->composing()->value_name("NAME"),
      "another name the container answers to on the network");
  auto parsed = parse_command(context, args, "network connect [OPTIONS] NETWORK CONTAINER",
                              "Connect a container to a network; a running one at once.", options,
                              {"network", "container"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto [network, container] = network_and_container(parsed, "connect");
  auto engine = context.open_engine();
  ok_or_fail(containers(*engine).connect_network(network, container, list(parsed.vm, "alias"),
                                                 text(parsed.vm, "ip")));
  return kExitOk;
}

int run_disconnect(Context &context, const strings &args) {
  po::options_description options("Disconnect options");
  options.add_options()("force,f", po::bool_switch(),
                        "disconnect even when the network is in a bad state");
  auto parsed =
      parse_command(context, args, "network disconnect [OPTIONS] NETWORK CONTAINER",
                    "Disconnect a container from a network.", options, {"network", "container"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto [network, container] = network_and_container(parsed, "disconnect");
  auto engine = context.open_engine();
  ok_or_fail(
      containers(*engine).disconnect_network(network, container, parsed.vm["force"].as<bool>()));
  return kExitOk;
}

int run_prune(Context &context, const strings &args) {
  po::options_description options("Prune options");
  options.add_options()("force,f", po::bool_switch(), "do not ask (berth never asks)");
  auto parsed = parse_command(context, args, "network prune [OPTIONS]",
                              "Remove user-defined networks no container uses.", options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  auto engine = context.open_engine();
  const auto removed = value_or_fail(networks(*engine).prune());
  // Docker prints the header only when something went.
  if (!removed.empty()) {
    std::cout << "Deleted Networks:\n";
    for (const auto &name : removed) {
      std::cout << name << "\n";
    }
  }
  return kExitOk;
}

} // namespace

Command network_command() {
  return {"network", "networks: create, ls, inspect, rm, connect, disconnect, prune",
          [](Context &context, const std::vector<std::string> &args) {
            return run_group(
                context, args, "network", "Manage networks.",
                {{"create", "create a network", run_create},
                 {"ls", "list networks", run_ls},
                 {"inspect", "show networks as JSON", run_inspect},
                 {"rm", "remove networks", run_rm},
                 {"remove", "remove networks (same as rm)", run_rm},
                 {"connect", "connect a container to a network", run_connect},
                 {"disconnect", "disconnect a container from a network", run_disconnect},
                 {"prune", "remove unused networks", run_prune}});
          }};
}

} // namespace berth::cli
