// The scheduler section: profiles of filters, weighted scores and per-plugin
// args. Plugin names are checked later, against the registry.
#include "config/sections.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <set>

namespace berth {
namespace {

class ProfileParser {
public:
  ProfileParser(std::string path, Checker &check) : path_(std::move(path)), check_(check) {}

  std::optional<SchedulerProfile> parse(const ConfigNode &node, std::set<std::string> &names) {
    if (!check_.expect_map(node, path_)) {
      return std::nullopt;
    }
    check_.allow_keys(node, path_,
                      {"name", "filters", "scores", "args", "percentageOfNodesToScore"});
    if (const auto *percentage = node.find("percentageOfNodesToScore")) {
      parse_percentage(*percentage);
    }
    if (const auto *name = check_.require(node, "name", path_)) {
      parse_name(*name, names);
    }
    if (const auto *filters = node.find("filters")) {
      parse_filters(*filters);
    }
    if (const auto *scores = node.find("scores")) {
      parse_scores(*scores);
    }
    if (const auto *args = node.find("args")) {
      attach_args(*args);
    }
    return std::move(profile_);
  }

private:
  void parse_name(const ConfigNode &node, std::set<std::string> &names) {
    const auto path = path_ + ".name";
    auto text = check_.scalar(node, path);
    if (text && !is_valid_object_name(*text)) {
      check_.error(node.at, path, "invalid profile name '" + *text + "'");
    } else if (text && !names.insert(*text).second) {
      check_.error(node.at, path, "duplicate profile name '" + *text + "'");
    }
    profile_.name = text.value_or("");
  }

  void parse_percentage(const ConfigNode &node) {
    const auto path = path_ + ".percentageOfNodesToScore";
    auto value = check_.integer(node, path);
    if (value && (*value < 0 || *value > 100)) {
      check_.error(node.at, path,
                   "must be between 0 (adaptive) and 100, got " + std::to_string(*value));
    }
    profile_.percentage_of_nodes_to_score = static_cast<int>(value.value_or(0));
  }

  // A plugin's options come from args.<plugin>; the path is set even when
  // args is absent so that a missing required option still names its key.
  PluginChoice choice(const std::string &plugin, Location at, std::string path) {
    PluginChoice out;
    out.plugin = plugin;
    out.plugin_at = at;
    out.path = std::move(path);
    out.options_path = child_path(path_ + ".args", plugin);
    return out;
  }

  // Each plugin once per list: a second entry would silently double its say.
  bool check_unique(const std::vector<std::string> &seen, const std::string &plugin, Location at,
                    const std::string &path, const char *list) {
    if (std::find(seen.begin(), seen.end(), plugin) == seen.end()) {
      return true;
    }
    check_.error(at, path, "'" + plugin + "' is listed twice in " + list);
    return false;
  }

  void parse_filters(const ConfigNode &node) {
    const auto path = path_ + ".filters";
    auto items = check_.scalar_list(node, path);
    std::vector<std::string> seen;
    for (std::size_t i = 0; items && i < items->size(); ++i) {
      const auto &[plugin, at] = (*items)[i];
      const auto item_path = index_path(path, i);
      if (check_unique(seen, plugin, at, item_path, "filters")) {
        seen.push_back(plugin);
        profile_.filters.push_back(choice(plugin, at, item_path));
      }
    }
  }

  void parse_scores(const ConfigNode &node) {
    const auto path = path_ + ".scores";
    if (node.kind != ConfigNode::Kind::sequence) {
      check_.error(node.at, path, "expected a list, got " + std::string(describe_kind(node)));
      return;
    }
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      auto score = parse_score(node.items[i], index_path(path, i));
      if (score && check_unique(seen, score->plugin.plugin, score->plugin.plugin_at,
                                score->plugin.path, "scores")) {
        seen.push_back(score->plugin.plugin);
        profile_.scores.push_back(std::move(*score));
      }
    }
  }

  std::optional<ScoreEntry> parse_score(const ConfigNode &item, const std::string &path) {
    if (!check_.expect_map(item, path)) {
      return std::nullopt;
    }
    check_.allow_keys(item, path, {"plugin", "weight"});
    const auto *plugin = check_.require(item, "plugin", path);
    auto name = plugin != nullptr ? check_.scalar(*plugin, path + ".plugin") : std::nullopt;
    if (!name) {
      return std::nullopt;
    }
    ScoreEntry score;
    score.plugin = choice(*name, plugin->at, path + ".plugin");
    if (const auto *weight = item.find("weight")) {
      auto value = check_.integer(*weight, path + ".weight");
      if (value && (*value < 1 || *value > 100)) {
        check_.error(weight->at, path + ".weight",
                     "weight must be between 1 and 100, got " + std::to_string(*value));
      }
      score.weight = static_cast<int>(value.value_or(1));
    }
    return score;
  }

  // args: {plugin: {...}} gives options to a plugin named by this profile.
  void attach_args(const ConfigNode &node) {
    const auto path = path_ + ".args";
    if (!check_.expect_map(node, path)) {
      return;
    }
    std::vector<std::string> used;
    for (const auto &filter : profile_.filters) {
      used.push_back(filter.plugin);
    }
    for (const auto &score : profile_.scores) {
      used.push_back(score.plugin.plugin);
    }
    for (const auto &entry : node.entries) {
      if (std::find(used.begin(), used.end(), entry.key) == used.end()) {
        check_.error(entry.key_at, child_path(path, entry.key),
                     "'" + entry.key + "' is not a filter or score of this profile" +
                         did_you_mean(entry.key, used));
        continue;
      }
      for (auto &filter : profile_.filters) {
        filter.options_node = filter.plugin == entry.key ? entry.value : filter.options_node;
      }
      for (auto &score : profile_.scores) {
        score.plugin.options_node =
            score.plugin.plugin == entry.key ? entry.value : score.plugin.options_node;
      }
    }
  }

  std::string path_;
  Checker &check_;
  SchedulerProfile profile_;
};

} // namespace

std::optional<SchedulerSection> parse_scheduler_section(const ConfigNode &node, Checker &check) {
  if (!check.expect_map(node, "scheduler")) {
    return std::nullopt;
  }
  check.allow_keys(node, "scheduler", {"profiles"});
  SchedulerSection section;
  const auto *profiles = check.require(node, "profiles", "scheduler");
  if (profiles == nullptr) {
    return section;
  }
  if (profiles->kind != ConfigNode::Kind::sequence || profiles->items.empty()) {
    check.error(profiles->at, "scheduler.profiles",
                "expected a list of at least one profile, got " +
                    std::string(describe_kind(*profiles)));
    return section;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < profiles->items.size(); ++i) {
    const auto path = index_path("scheduler.profiles", i);
    if (auto profile = ProfileParser(path, check).parse(profiles->items[i], names)) {
      section.profiles.push_back(std::move(*profile));
    }
  }
  return section;
}

} // namespace berth
