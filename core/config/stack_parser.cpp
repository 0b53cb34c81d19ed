// Structure of the stack file: sections, keys, types and cross references
// inside the file. Plugin names and options are checked in stack_resolver.cpp.
#include "config/checker.hpp"
#include "config/stack.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace berth {
namespace {

constexpr std::string_view kApiVersion = "berth/v1";

bool is_valid_object_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || std::isalnum(static_cast<unsigned char>(name[0])) == 0) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

class StackParser {
public:
  StackParser(const std::string &source, std::filesystem::path base_dir)
      : check_(source), base_dir_(std::move(base_dir)) {
    stack_.source = source;
  }

  StackLoad parse(const ConfigNode &root) {
    if (root.kind == ConfigNode::Kind::null) {
      check_.error({1, 1}, "", "the stack file is empty; start from examples/stacks/default.yaml");
      return finish();
    }
    if (!check_.expect_map(root, "")) {
      return finish();
    }
    check_.allow_keys(root, "",
                      {"apiVersion", "kind", "root", "plugins", "storage", "runtime", "network",
                       "scheduler", "logging"});
    parse_header(root);
    if (const auto *node = root.find("root")) {
      parse_root(*node);
    }
    if (const auto *node = root.find("plugins")) {
      parse_plugins(*node);
    }
    if (const auto *node = root.find("storage")) {
      stack_.storage = parse_driver(*node, "storage", "driver");
    }
    if (const auto *node = root.find("runtime")) {
      parse_runtime(*node);
    }
    if (const auto *node = root.find("network")) {
      parse_network(*node);
    }
    if (const auto *node = root.find("scheduler")) {
      parse_scheduler(*node);
    }
    if (const auto *node = root.find("logging")) {
      parse_logging(*node);
    }
    return finish();
  }

private:
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
    if (list.kind != ConfigNode::Kind::sequence) {
      check_.error(list.at, "network.networks",
                   "expected a list, got " + std::string(describe_kind(list)));
      return;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const auto path = index_path("network.networks", i);
      const auto &item = list.items[i];
      auto driver = parse_driver(item, path, "driver", {"name"});
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
      network.networks.push_back(NetworkEntry{*text, std::move(*driver)});
    }
  }

  void parse_scheduler(const ConfigNode &node);
  void parse_profile(const ConfigNode &node, const std::string &path, std::set<std::string> &names);
  void parse_scores(const ConfigNode &node, const std::string &path, SchedulerProfile &profile);
  void attach_args(const ConfigNode &node, const std::string &path, SchedulerProfile &profile);

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

void StackParser::parse_scheduler(const ConfigNode &node) {
  if (!check_.expect_map(node, "scheduler")) {
    return;
  }
  check_.allow_keys(node, "scheduler", {"profiles"});
  stack_.scheduler.emplace();
  const auto *profiles = check_.require(node, "profiles", "scheduler");
  if (profiles == nullptr) {
    return;
  }
  if (profiles->kind != ConfigNode::Kind::sequence || profiles->items.empty()) {
    check_.error(profiles->at, "scheduler.profiles",
                 "expected a list of at least one profile, got " +
                     std::string(describe_kind(*profiles)));
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < profiles->items.size(); ++i) {
    parse_profile(profiles->items[i], index_path("scheduler.profiles", i), names);
  }
}

void StackParser::parse_profile(const ConfigNode &node, const std::string &path,
                                std::set<std::string> &names) {
  if (!check_.expect_map(node, path)) {
    return;
  }
  check_.allow_keys(node, path, {"name", "filters", "scores", "args"});
  SchedulerProfile profile;
  if (const auto *name = check_.require(node, "name", path)) {
    auto text = check_.scalar(*name, path + ".name");
    if (text && !is_valid_object_name(*text)) {
      check_.error(name->at, path + ".name", "invalid profile name '" + *text + "'");
    } else if (text && !names.insert(*text).second) {
      check_.error(name->at, path + ".name", "duplicate profile name '" + *text + "'");
    }
    profile.name = text.value_or("");
  }
  if (const auto *filters = node.find("filters")) {
    auto items = check_.scalar_list(*filters, path + ".filters");
    for (std::size_t i = 0; items && i < items->size(); ++i) {
      PluginChoice choice;
      choice.plugin = (*items)[i].first;
      choice.plugin_at = (*items)[i].second;
      choice.path = index_path(path + ".filters", i);
      profile.filters.push_back(std::move(choice));
    }
  }
  if (const auto *scores = node.find("scores")) {
    parse_scores(*scores, path + ".scores", profile);
  }
  if (const auto *args = node.find("args")) {
    attach_args(*args, path + ".args", profile);
  }
  stack_.scheduler->profiles.push_back(std::move(profile));
}

void StackParser::parse_scores(const ConfigNode &node, const std::string &path,
                               SchedulerProfile &profile) {
  if (node.kind != ConfigNode::Kind::sequence) {
    check_.error(node.at, path, "expected a list, got " + std::string(describe_kind(node)));
    return;
  }
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const auto item_path = index_path(path, i);
    const auto &item = node.items[i];
    if (!check_.expect_map(item, item_path)) {
      continue;
    }
    check_.allow_keys(item, item_path, {"plugin", "weight"});
    const auto *plugin = check_.require(item, "plugin", item_path);
    auto name = plugin != nullptr ? check_.scalar(*plugin, item_path + ".plugin") : std::nullopt;
    if (!name) {
      continue;
    }
    ScoreEntry score;
    score.plugin.plugin = *name;
    score.plugin.plugin_at = plugin->at;
    score.plugin.path = item_path + ".plugin";
    if (const auto *weight = item.find("weight")) {
      auto value = check_.integer(*weight, item_path + ".weight");
      if (value && (*value < 1 || *value > 100)) {
        check_.error(weight->at, item_path + ".weight",
                     "weight must be between 1 and 100, got " + std::to_string(*value));
      }
      score.weight = static_cast<int>(value.value_or(1));
    }
    profile.scores.push_back(std::move(score));
  }
}

// args: {plugin: {...}} gives options to a plugin named by this profile.
void StackParser::attach_args(const ConfigNode &node, const std::string &path,
                              SchedulerProfile &profile) {
  if (!check_.expect_map(node, path)) {
    return;
  }
  std::vector<std::string> used;
  for (const auto &filter : profile.filters) {
    used.push_back(filter.plugin);
  }
  for (const auto &score : profile.scores) {
    used.push_back(score.plugin.plugin);
  }
  for (const auto &entry : node.entries) {
    const auto entry_path = child_path(path, entry.key);
    if (std::find(used.begin(), used.end(), entry.key) == used.end()) {
      check_.error(entry.key_at, entry_path,
                   "'" + entry.key + "' is not a filter or score of this profile" +
                       did_you_mean(entry.key, used));
      continue;
    }
    for (auto &filter : profile.filters) {
      if (filter.plugin == entry.key) {
        filter.options_node = entry.value;
        filter.options_path = entry_path;
      }
    }
    for (auto &score : profile.scores) {
      if (score.plugin.plugin == entry.key) {
        score.plugin.options_node = entry.value;
        score.plugin.options_path = entry_path;
      }
    }
  }
}

} // namespace

StackLoad parse_stack(const std::string &text, const std::string &source,
                      const std::filesystem::path &base_dir) {
  auto document = parse_yaml(text);
  if (!document.error.empty()) {
    StackLoad load;
    load.diagnostics.push_back(Diagnostic{source, document.error_at, "", document.error});
    return load;
  }
  return StackParser(source, base_dir).parse(document.root);
}

StackLoad read_stack_file(const std::filesystem::path &file) {
  std::ifstream in(file);
  if (!in) {
    StackLoad load;
    load.diagnostics.push_back(Diagnostic{
        file.string(), {}, "", std::string("cannot read the stack file: ") + std::strerror(errno)});
    return load;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_stack(text.str(), file.string(), std::filesystem::absolute(file).parent_path());
}

} // namespace berth
