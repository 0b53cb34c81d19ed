// Structure of the stack file: sections, keys, types and cross references
// inside the file. Plugin names and options are checked in stack_resolver.cpp.
#include "config/checker.hpp"
#include "config/config_merge.hpp"
#include "config/sections.hpp"
#include "config/stack.hpp"
#include "util/text.hpp"

#include <berth/sdk/ipv4.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace berth {
namespace {

constexpr std::string_view kApiVersion = "berth/v1";

class StackParser {
public:
  StackParser(const std::string &source, std::filesystem::path base_dir)
      : check_(source), base_dir_(std::move(base_dir)) {
    stack_.source = source;
  }

  // The header and the keys are the file's own; the sections are read from
  // the file merged over defaults, when given.
  StackLoad parse(const ConfigNode &file, const ConfigNode *defaults) {
    if (file.kind == ConfigNode::Kind::null) {
      check_.error({1, 1}, "", "the stack file is empty; start from examples/stacks/default.yaml");
      return finish();
    }
    if (!check_.expect_map(file, "")) {
      return finish();
    }
    check_.allow_keys(file, "",
                      {"apiVersion", "kind", "root", "plugins", "storage", "runtime", "network",
                       "scheduler", "logging"});
    parse_header(file);
    const auto root = defaults != nullptr ? merge_config(*defaults, file) : file;
    if (const auto *node = root.find("root")) {
      parse_root(*node);
    }
    if (const auto *node = root.find("plugins")) {
      parse_plugins(*node);
    }
    // A section set to null is absent (it removes the default's, merged).
    if (const auto *node = section(root, "storage")) {
      stack_.storage = parse_driver(*node, "storage", "driver");
    }
    if (const auto *node = section(root, "runtime")) {
      parse_runtime(*node);
    }
    if (const auto *node = section(root, "network")) {
      parse_network(*node);
    }
    if (const auto *node = section(root, "scheduler")) {
      stack_.scheduler = parse_scheduler_section(*node, check_);
    }
    if (const auto *node = root.find("logging")) {
      parse_logging(*node);
    }
    return finish();
  }

private:
  static const ConfigNode *section(const ConfigNode &root, std::string_view key) {
    const auto *node = root.find(key);
    return node != nullptr && node->kind != ConfigNode::Kind::null ? node : nullptr;
  }

  StackLoad finish() {
    StackLoad load;
    if (check_.ok()) {
      load.stack = std::move(stack_);
    } else {
      load.diagnostics = check_.take();
    }
    return load;
  }

  void parse_header(const ConfigNode &root) {
    if (const auto *node = check_.require(root, "apiVersion", "")) {
      auto value = check_.scalar(*node, "apiVersion");
      if (value && *value != kApiVersion) {
        check_.error(node->at, "apiVersion",
                     "unsupported apiVersion '" + *value + "'; this berth reads '" +
                         std::string(kApiVersion) + "'");
      }
    }
    if (const auto *node = check_.require(root, "kind", "")) {
      auto value = check_.scalar(*node, "kind");
      if (value && *value != "Stack") {
        check_.error(node->at, "kind", "expected 'Stack', got '" + *value + "'");
      }
    }
  }

  void parse_root(const ConfigNode &node) {
    auto value = check_.scalar(node, "root");
    if (!value) {
      return;
    }
    if (value->empty() || value->front() != '/') {
      check_.error(node.at, "root", "must be an absolute path, got '" + *value + "'");
      return;
    }
    stack_.root = *value;
  }

  void parse_plugins(const ConfigNode &node) {
    if (!check_.expect_map(node, "plugins")) {
      return;
    }
    check_.allow_keys(node, "plugins", {"paths"});
    const auto *paths = node.find("paths");
    if (paths == nullptr) {
      return;
    }
    auto items = check_.scalar_list(*paths, "plugins.paths");
    for (std::size_t i = 0; items && i < items->size(); ++i) {
      const auto &[text, at] = (*items)[i];
      // Relative paths are relative to the stack file, so a stack and its
      // plugins can move together.
      const auto dir = base_dir_ / text;
      if (!std::filesystem::is_directory(dir)) {
        check_.error(at, index_path("plugins.paths", i),
                     "no such directory '" + dir.lexically_normal().string() + "'");
        continue;
      }
      stack_.plugin_paths.push_back(dir.lexically_normal());
    }
  }

  // {<name_key>: NAME, options: {...}}: storage, and each network.
  std::optional<PluginChoice> parse_driver(const ConfigNode &node, const std::string &path,
                                           std::string_view name_key,
                                           std::initializer_list<std::string_view> extra = {}) {
    if (!check_.expect_map(node, path)) {
      return std::nullopt;
    }
    std::vector<std::string> allowed{std::string(name_key), "options"};
    allowed.insert(allowed.end(), extra.begin(), extra.end());
    check_.allow_keys(node, path, allowed);
    const auto *name = check_.require(node, name_key, path);
    if (name == nullptr) {
      return std::nullopt;
    }
    PluginChoice choice;
    choice.path = child_path(path, name_key);
    auto value = check_.scalar(*name, choice.path);
    if (!value) {
      return std::nullopt;
    }
    choice.plugin = *value;
    choice.plugin_at = name->at;
    choice.options_path = child_path(path, "options");
    if (const auto *options = node.find("options")) {
      choice.options_node = *options;
    }
    return choice;
  }

  void parse_runtime(const ConfigNode &node) {
    if (!check_.expect_map(node, "runtime")) {
      return;
    }
    check_.allow_keys(node, "runtime", {"default", "backends"});
    RuntimeSection runtime;
    const auto *backends = check_.require(node, "backends", "runtime");
    if (backends != nullptr && check_.expect_map(*backends, "runtime.backends")) {
      for (const auto &entry : backends->entries) {
        parse_backend(entry, runtime);
      }
      if (backends->entries.empty()) {
        check_.error(backends->at, "runtime.backends", "name at least one backend");
      }
    }
    pick_default(node, "runtime", runtime.default_backend, runtime.default_at,
                 names_of(runtime.backends));
    stack_.runtime = std::move(runtime);
  }

  void parse_backend(const MapEntry &entry, RuntimeSection &runtime) {
    const auto path = child_path("runtime.backends", entry.key);
    if (!is_valid_object_name(entry.key)) {
      check_.error(entry.key_at, path, "invalid backend name '" + entry.key + "'");
    }
    PluginChoice choice;
    choice.plugin = entry.key; // the backend's name names its plugin unless `plugin:` says
    choice.plugin_at = entry.key_at;
    choice.path = path;
    choice.options_path = child_path(path, "options");
    if (entry.value.kind != ConfigNode::Kind::null) {
      if (!check_.expect_map(entry.value, path)) {
        return;
      }
      check_.allow_keys(entry.value, path, {"plugin", "options"});
      if (const auto *plugin = entry.value.find("plugin")) {
        choice.path = child_path(path, "plugin");
        auto value = check_.scalar(*plugin, choice.path);
        if (!value) {
          return;
        }
        choice.plugin = *value;
        choice.plugin_at = plugin->at;
      }
      if (const auto *options = entry.value.find("options")) {
        choice.options_node = *options;
      }
    }
    runtime.backends.emplace(entry.key, std::move(choice));
  }

  template <class Map> static std::vector<std::string> names_of(const Map &map) {
    std::vector<std::string> names;
    names.reserve(map.size());
    for (const auto &[name, value] : map) {
      names.push_back(name);
    }
    return names;
  }

  // `default:` must name one of names; when absent, a single choice wins.
  void pick_default(const ConfigNode &section, const std::string &path, std::string &out,
                    Location &out_at, const std::vector<std::string> &names);

  void parse_network(const ConfigNode &node) {
    if (!check_.expect_map(node, "network")) {
      return;
    }
    check_.allow_keys(node, "network", {"default", "networks"});
    NetworkSection network;
    const auto *list = check_.require(node, "networks", "network");
    if (list != nullptr) {
      parse_networks(*list, network);
    }
    std::vector<std::string> names;
    for (const auto &entry : network.networks) {
      names.push_back(entry.name);
    }
    pick_default(node, "network", network.default_network, network.default_at, names);
    stack_.network = std::move(network);
  }

  void parse_networks(const ConfigNode &list, NetworkSection &network) {
    if (list.kind != ConfigNode::Kind::sequence || list.items.empty()) {
      check_.error(list.at, "network.networks",
                   "expected a list of at least one network, got " +
                       std::string(describe_kind(list)));
      return;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const auto path = index_path("network.networks", i);
      const auto &item = list.items[i];
      auto driver = parse_driver(item, path, "driver", {"name", "subnet", "gateway", "internal"});
      if (!driver) {
        continue;
      }
      const auto *name = check_.require(item, "name", path);
      auto text = name != nullptr ? check_.scalar(*name, path + ".name") : std::nullopt;
      if (!text) {
        continue;
      }
      if (!is_valid_object_name(*text)) {
        check_.error(name->at, path + ".name",
                     "invalid network name '" + *text + "' (use letters, digits, '-', '_', '.')");
      } else if (!seen.insert(*text).second) {
        check_.error(name->at, path + ".name", "duplicate network name '" + *text + "'");
      }
      NetworkEntry entry{*text, std::move(*driver), "", "", false};
      parse_addressing(item, path, entry);
      network.networks.push_back(std::move(entry));
    }
  }

  // A network's subnet, gateway and internal flag, checked as `network
  // create` checks them.
  void parse_addressing(const ConfigNode &item, const std::string &path, NetworkEntry &entry) {
    if (const auto *node = item.find("subnet")) {
      if (auto text = check_.scalar(*node, path + ".subnet")) {
        if (auto subnet = sdk::Ipv4Subnet::parse(*text); !subnet.ok()) {
          check_.error(node->at, path + ".subnet", subnet.error().message);
        }
        entry.subnet = *text;
      }
    }
    if (const auto *node = item.find("gateway")) {
      if (auto text = check_.scalar(*node, path + ".gateway")) {
        if (!sdk::Ipv4::parse(*text)) {
          check_.error(node->at, path + ".gateway", "'" + *text + "' is not an IPv4 address");
        }
        entry.gateway = *text;
      }
    }
    if (const auto *node = item.find("internal")) {
      if (auto text = check_.scalar(*node, path + ".internal")) {
        if (*text != "true" && *text != "false") {
          check_.error(node->at, path + ".internal", "expected true or false, got '" + *text + "'");
        }
        entry.internal = *text == "true";
      }
    }
  }

  void parse_logging(const ConfigNode &node) {
    if (!check_.expect_map(node, "logging")) {
      return;
    }
    check_.allow_keys(node, "logging", {"level", "format"});
    if (const auto *level = node.find("level")) {
      auto text = check_.scalar(*level, "logging.level");
      auto parsed = text ? parse_log_level(*text) : std::nullopt;
      if (text && !parsed) {
        check_.error(level->at, "logging.level",
                     "unknown level '" + *text + "' (use trace, debug, info, warn or error)");
      }
      stack_.logging.level = parsed.value_or(sdk::LogLevel::info);
    }
    if (const auto *format = node.find("format")) {
      auto text = check_.scalar(*format, "logging.format");
      if (text && *text != "text" && *text != "json") {
        check_.error(format->at, "logging.format",
                     "unknown format '" + *text + "' (use text or json)");
      }
      stack_.logging.format = text && *text == "json" ? LogFormat::json : LogFormat::text;
    }
  }

  Checker check_;
  std::filesystem::path base_dir_;
  Stack stack_;
};

void StackParser::pick_default(const ConfigNode &section, const std::string &path, std::string &out,
                               Location &out_at, const std::vector<std::string> &names) {
  const auto *node = section.find("default");
  // The built-in default names a backend or network the file took away:
  // choose again among what the file left.
  if (node != nullptr && node->at.inherited &&
      std::find(names.begin(), names.end(), node->scalar) == names.end()) {
    node = nullptr;
  }
  if (node == nullptr) {
    if (names.size() == 1) {
      out = names.front();
      out_at = section.at;
    } else if (names.size() > 1) {
      check_.error(section.at, path,
                   "missing required key 'default' (choose one of: " + join(names, ", ") + ")");
    }
    return;
  }
  const auto key = child_path(path, "default");
  auto value = check_.scalar(*node, key);
  if (!value) {
    return;
  }
  if (std::find(names.begin(), names.end(), *value) == names.end()) {
    check_.error(node->at, key,
                 "'" + *value + "' is not defined in this section" + did_you_mean(*value, names) +
                     " (have: " + list_or_none(names) + ")");
    return;
  }
  out = *value;
  out_at = node->at;
}

} // namespace

StackLoad parse_stack(const std::string &text, const std::string &source,
                      const std::filesystem::path &base_dir, const ConfigNode *defaults) {
  auto document = parse_yaml(text);
  if (!document.error.empty()) {
    StackLoad load;
    load.diagnostics.push_back(Diagnostic{source, document.error_at, "", document.error});
    return load;
  }
  return StackParser(source, base_dir).parse(document.root, defaults);
}

StackLoad read_stack_file(const std::filesystem::path &file, const ConfigNode *defaults) {
  std::string error;
  auto text = read_config_file(file, "stack file", error);
  if (!text) {
    StackLoad load;
    load.diagnostics.push_back(Diagnostic{file.string(), {}, "", error});
    return load;
  }
  return parse_stack(*text, file.string(), std::filesystem::absolute(file).parent_path(), defaults);
}

const ConfigNode &builtin_default_tree() {
  static const ConfigNode tree = [] {
    auto document = parse_yaml(builtin_default_stack());
    mark_inherited(document.root);
    return document.root;
  }();
  return tree;
}

} // namespace berth
