#include "cli.hpp"
#include "output.hpp"
#include "util/text.hpp"

#include <iostream>

namespace berth::cli {
namespace {

nlohmann::json entry_json(const PluginEntry &entry) {
  nlohmann::json out = {
      {"kind", entry.info ? nlohmann::json(kind_name(entry.info->kind)) : nlohmann::json()},
      {"name", entry.info ? nlohmann::json(entry.info->name) : nlohmann::json()},
      {"version", entry.info ? nlohmann::json(entry.info->version) : nlohmann::json()},
      {"file", entry.file.empty() ? nlohmann::json("(built in)") : nlohmann::json(entry.file)},
      {"status", status_name(entry.status)},
  };
  if (!entry.reason.empty()) {
    out["reason"] = entry.reason;
  }
  return out;
}

std::string status_cell(const PluginEntry &entry) {
  if (entry.reason.empty()) {
    return std::string(status_name(entry.status));
  }
  return std::string(status_name(entry.status)) + ": " + entry.reason;
}

int run_ls(Context &context, const std::vector<std::string> &args) {
  po::options_description options("List options");
  add_format_option(options);
  auto parsed = parse_command(context, args, "plugins ls [OPTIONS]",
                              "List every plugin found: loaded, skipped (cannot run on this host) "
                              "or refused (failed the handshake), with the reason.",
                              options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto format = format_option(parsed.vm);
  const auto engine = context.open_engine_for_plugins();
  const auto &entries = engine->plugins().entries();
  if (format == Format::json) {
    auto list = nlohmann::json::array();
    for (const auto &entry : entries) {
      list.push_back(entry_json(entry));
    }
    print_json(std::cout, list);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(entries.size());
  for (const auto &entry : entries) {
    rows.push_back({entry.info ? std::string(kind_name(entry.info->kind)) : "-",
                    entry.info ? entry.info->name : "-", entry.info ? entry.info->version : "-",
                    status_cell(entry), entry.file.empty() ? "(built in)" : entry.file.string()});
  }
  print_table(std::cout, {"KIND", "NAME", "VERSION", "STATUS", "FILE"}, rows);
  return kExitOk;
}

nlohmann::json options_json(const PluginInfo &info) {
  auto list = nlohmann::json::array();
  for (const auto &option : info.options) {
    list.push_back({{"name", option.name},
                    {"type", option_type_name(option.type)},
                    {"required", !option.default_value.has_value()},
                    {"default", option.default_value.value_or(nlohmann::json())},
                    {"choices", option.choices},
                    {"doc", option.doc}});
  }
  return list;
}

void print_inspect(const PluginEntry &entry) {
  const auto &info = *entry.info;
  std::cout << "Name:         " << info.name << "\n"
            << "Kind:         " << kind_name(info.kind) << "\n"
            << "Version:      " << info.version << "\n"
            << "Description:  " << info.description << "\n"
            << "File:         " << (entry.file.empty() ? "(built in)" : entry.file.string()) << "\n"
            << "Status:       " << status_cell(entry) << "\n";
  if (info.options.empty()) {
    std::cout << "Options:      none\n";
    return;
  }
  std::cout << "Options:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto &option : info.options) {
    std::string type(option_type_name(option.type));
    if (!option.choices.empty()) {
      type += " (" + join(option.choices, "|") + ")";
    }
    rows.push_back({"  " + option.name, type,
                    option.default_value ? option.default_value->dump() : "(required)",
                    option.doc});
  }
  print_table(std::cout, {"  OPTION", "TYPE", "DEFAULT", "DESCRIPTION"}, rows);
}

int run_inspect(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Inspect options");
  add_format_option(options);
  auto parsed = parse_command(context, args, "plugins inspect NAME [OPTIONS]",
                              "Show a plugin's description and its options: type, default and "
                              "meaning of each key it accepts in the stack file.",
                              options, {"name"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  if (parsed.vm.count("name") == 0U) {
    throw UsageError("plugins inspect needs a plugin NAME; see 'berth plugins ls'");
  }
  const auto format = format_option(parsed.vm);
  const auto name = parsed.vm["name"].as<std::string>();
  const auto engine = context.open_engine_for_plugins();
  const auto *entry = engine->plugins().find(name);
  if (entry == nullptr) {
    std::vector<std::string> names;
    for (const auto &e : engine->plugins().entries()) {
      if (e.info) {
        names.push_back(e.info->name);
      }
    }
    throw CommandError("berth plugins inspect: no plugin named '" + name + "'" +
                       did_you_mean(name, names) + "; run 'berth plugins ls' to see them all");
  }
  if (format == Format::json) {
    auto out = entry_json(*entry);
    out["description"] = entry->info->description;
    out["options"] = options_json(*entry->info);
    print_json(std::cout, out);
  } else {
    print_inspect(*entry);
  }
  return kExitOk;
}

int run_plugins(Context &context, const std::vector<std::string> &args) {
  return run_group(context, args, "plugins", "Manage and examine plugins.",
                   {{"ls", "List plugins and whether each loaded", run_ls},
                    {"inspect", "Show a plugin's description and options", run_inspect}});
}

} // namespace

Command plugins_command() {
  return {"plugins", "List and inspect plugins", run_plugins};
}

} // namespace berth::cli
