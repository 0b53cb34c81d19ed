// The stack: which plugins make up this engine, and their options.
#pragma once

#include "config/config_node.hpp"
#include "config/diagnostic.hpp"
#include "log/logging.hpp"
#include "plugin/plugin_info.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

class PluginRegistry;

// A plugin chosen by the stack, with its options as written and, once
// resolved against the registry, validated with defaults filled in.
struct PluginChoice {
  std::string plugin;
  Location plugin_at;
  std::string path;         // key path of the plugin name, for diagnostics
  ConfigNode options_node;  // as written; null when absent
  std::string options_path; // key path of the options
  nlohmann::json options = nlohmann::json::object();
};

struct RuntimeSection {
  std::string default_backend;
  Location default_at;
  std::map<std::string, PluginChoice> backends; // backend name -> plugin
};

struct NetworkEntry {
  std::string name;
  PluginChoice driver;
  std::string subnet;  // "" for one from IPAM's default range
  std::string gateway; // "" for the subnet's first address
  bool internal = false;
};

struct NetworkSection {
  std::string default_network;
  Location default_at;
  std::vector<NetworkEntry> networks;
};

struct ScoreEntry {
  PluginChoice plugin;
  int weight = 1;
};

struct SchedulerProfile {
  std::string name;
  int percentage_of_nodes_to_score = 0; // 0: Kubernetes' adaptive default
  std::vector<PluginChoice> filters;
  std::vector<ScoreEntry> scores;
};

struct SchedulerSection {
  std::vector<SchedulerProfile> profiles;
};

struct LoggingSection {
  sdk::LogLevel level = sdk::LogLevel::info;
  LogFormat format = LogFormat::text;
};

struct Stack {
  std::string source; // the file as named by the user, or "(built-in default)"
  std::filesystem::path root = "/var/lib/berth";
  std::vector<std::filesystem::path> plugin_paths;
  std::optional<PluginChoice> storage;
  std::optional<RuntimeSection> runtime;
  std::optional<NetworkSection> network;
  std::optional<SchedulerSection> scheduler;
  LoggingSection logging;
};

struct StackLoad {
  std::optional<Stack> stack;
  Diagnostics diagnostics; // empty iff stack is set
};

// Reads and checks the structure of a stack file; plugin names and options
// are checked later by resolve_stack, once the plugins are loaded. With
// defaults, the file is merged over them first (see merge_config), so that
// it need only say what differs.
StackLoad parse_stack(const std::string &text, const std::string &source,
                      const std::filesystem::path &base_dir, const ConfigNode *defaults = nullptr);
StackLoad read_stack_file(const std::filesystem::path &file, const ConfigNode *defaults = nullptr);

// Checks every plugin the stack names against registry and validates their
// options against the plugins' schemas, filling in defaults. All or nothing.
Diagnostics resolve_stack(Stack &stack, const PluginRegistry &registry);

// The stack as YAML, defaults filled in (for `berth config show`).
std::string stack_to_yaml(const Stack &stack);

// The text of examples/stacks/default.yaml, compiled in.
const std::string &builtin_default_stack();
// That text parsed, every location marked inherited: what a stack file is
// merged over.
const ConfigNode &builtin_default_tree();

} // namespace berth
