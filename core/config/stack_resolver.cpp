// Checks the plugins a stack names against the loaded registry and turns
// their options, as written in YAML, into typed JSON with defaults filled in.
#include "config/checker.hpp"
#include "config/stack.hpp"
#include "plugin/registry.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace berth {
namespace {

std::optional<bool> parse_bool(const std::string &text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "yes" || lower == "on") {
    return true;
  }
  if (lower == "false" || lower == "no" || lower == "off") {
    return false;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_int(const std::string &text) {
  std::int64_t value = 0;
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parse_float(const std::string &text) {
  if (text.empty()) {
    return std::nullopt;
  }
  char *end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  // JSON has no NaN or infinity; strtod would accept "nan" and "inf".
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// A YAML value read as the option's type; nullopt if it cannot be. As in
// Kubernetes, a quoted scalar is a string: "8080" is not an int.
std::optional<nlohmann::json> typed_value(const ConfigNode &node, OptionType type) {
  const bool is_scalar = node.kind == ConfigNode::Kind::scalar;
  const bool is_plain = is_scalar && node.plain;
  switch (type) {
  case OptionType::string:
    return is_scalar ? std::optional<nlohmann::json>(node.scalar) : std::nullopt;
  case OptionType::boolean:
    if (auto value = is_plain ? parse_bool(node.scalar) : std::nullopt) {
      return nlohmann::json(*value);
    }
    return std::nullopt;
  case OptionType::integer:
    if (auto value = is_plain ? parse_int(node.scalar) : std::nullopt) {
      return nlohmann::json(*value);
    }
    return std::nullopt;
  case OptionType::floating:
    if (auto value = is_plain ? parse_float(node.scalar) : std::nullopt) {
      return nlohmann::json(*value);
    }
    return std::nullopt;
  case OptionType::list: {
    if (node.kind != ConfigNode::Kind::sequence) {
      return std::nullopt;
    }
    auto out = nlohmann::json::array();
    for (const auto &item : node.items) {
      if (item.kind != ConfigNode::Kind::scalar) {
        return std::nullopt;
      }
      out.push_back(item.scalar);
    }
    return out;
  }
  case OptionType::map: {
    if (node.kind != ConfigNode::Kind::map) {
      return std::nullopt;
    }
    auto out = nlohmann::json::object();
    for (const auto &entry : node.entries) {
      if (entry.value.kind != ConfigNode::Kind::scalar) {
        return std::nullopt;
      }
      out[entry.key] = entry.value.scalar;
    }
    return out;
  }
  }
  return std::nullopt;
}

std::string shown(const ConfigNode &node) {
  if (node.kind != ConfigNode::Kind::scalar) {
    return std::string(describe_kind(node));
  }
  return node.plain ? "'" + node.scalar + "'"
                    : "the quoted string \"" + node.scalar + "\" (remove the quotes)";
}

class Resolver {
public:
  Resolver(const PluginRegistry &registry, const std::string &file)
      : registry_(registry), check_(file) {}

  void resolve(PluginChoice &choice, PluginKind kind) {
    const auto *info = find_plugin(choice, kind);
    if (info != nullptr) {
      choice.options = options_for(choice, *info);
    }
  }

  Diagnostics take() { return check_.take(); }

private:
  const PluginInfo *find_plugin(const PluginChoice &choice, PluginKind kind) {
    const auto kind_text = std::string(kind_name(kind));
    const auto have = registry_.plugin_names(kind);
    const auto *entry = registry_.find(choice.plugin);
    if (entry == nullptr) {
      check_.error(choice.plugin_at, choice.path,
                   "no " + kind_text + " plugin named '" + choice.plugin +
                       "' (have: " + list_or_none(have) + ")" + did_you_mean(choice.plugin, have));
      return nullptr;
    }
    if (entry->status == PluginStatus::refused) {
      check_.error(choice.plugin_at, choice.path,
                   "plugin '" + choice.plugin + "' was refused: " + entry->describe_problem());
      return nullptr;
    }
    if (entry->info->kind != kind) {
      check_.error(choice.plugin_at, choice.path,
                   "'" + choice.plugin + "' is a " + std::string(kind_name(entry->info->kind)) +
                       " plugin, not a " + kind_text + " plugin (have: " + list_or_none(have) +
                       ")");
      return nullptr;
    }
    if (entry->status == PluginStatus::skipped) {
      check_.error(choice.plugin_at, choice.path,
                   kind_text + " plugin '" + choice.plugin +
                       "' cannot run on this host: " + entry->reason);
      return nullptr;
    }
    return &*entry->info;
  }

  nlohmann::json options_for(const PluginChoice &choice, const PluginInfo &info) {
    const auto &node = choice.options_node;
    auto given = nlohmann::json::object();
    if (node.kind != ConfigNode::Kind::null && !check_.expect_map(node, choice.options_path)) {
      return given;
    }
    const auto names = option_names(info.options);
    for (const auto &entry : node.entries) {
      const auto path = child_path(choice.options_path, entry.key);
      auto spec = std::find_if(info.options.begin(), info.options.end(),
                               [&](const OptionSpec &o) { return o.name == entry.key; });
      if (spec == info.options.end()) {
        check_.error(entry.key_at, path,
                     names.empty() ? "plugin '" + info.name + "' takes no options"
                                   : "unknown option '" + entry.key + "' for plugin '" + info.name +
                                         "'" + did_you_mean(entry.key, names) +
                                         " (options: " + join(names, ", ") + ")");
        continue;
      }
      auto value = typed_value(entry.value, spec->type);
      if (!value) {
        check_.error(entry.value.at, path,
                     "expected " + std::string(option_type_name(spec->type)) + ", got " +
                         shown(entry.value));
        continue;
      }
      if (auto problem = check_option_value(*spec, *value)) {
        check_.error(entry.value.at, path, *problem);
        continue;
      }
      given[entry.key] = std::move(*value);
    }
    for (const auto &spec : info.options) {
      if (!spec.default_value && !given.contains(spec.name) && node.find(spec.name) == nullptr) {
        const Location at = node.kind == ConfigNode::Kind::map ? node.at : choice.plugin_at;
        check_.error(at, choice.options_path,
                     "plugin '" + info.name + "' requires option '" + spec.name + "' (" + spec.doc +
                         ")");
      }
    }
    return with_defaults(info.options, std::move(given));
  }

  const PluginRegistry &registry_;
  Checker check_;
};

} // namespace

Diagnostics resolve_stack(Stack &stack, const PluginRegistry &registry) {
  Resolver resolver(registry, stack.source);
  if (stack.storage) {
    resolver.resolve(*stack.storage, PluginKind::storage);
  }
  if (stack.runtime) {
    for (auto &[name, backend] : stack.runtime->backends) {
      resolver.resolve(backend, PluginKind::runtime);
    }
  }
  if (stack.network) {
    for (auto &network : stack.network->networks) {
      resolver.resolve(network.driver, PluginKind::network);
    }
  }
  if (stack.scheduler) {
    for (auto &profile : stack.scheduler->profiles) {
      for (auto &filter : profile.filters) {
        resolver.resolve(filter, PluginKind::scheduler);
      }
      for (auto &score : profile.scores) {
        resolver.resolve(score.plugin, PluginKind::scheduler);
      }
    }
  }
  auto diagnostics = resolver.take();
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const auto &a, const auto &b) {
    return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
  });
  return diagnostics;
}

} // namespace berth
