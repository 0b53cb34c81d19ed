#include "plugin/plugin_info.hpp"

#include "util/text.hpp"

#include <berth/sdk/plugin_abi.h>

#include <algorithm>

namespace berth {

std::string_view kind_name(PluginKind kind) noexcept {
  switch (kind) {
  case PluginKind::storage: return "storage";
  case PluginKind::network: return "network";
  case PluginKind::runtime: return "runtime";
  case PluginKind::scheduler: return "scheduler";
  }
  return "unknown";
}

std::optional<PluginKind> kind_from_abi(std::uint32_t value) noexcept {
  switch (value) {
  case BERTH_KIND_STORAGE: return PluginKind::storage;
  case BERTH_KIND_NETWORK: return PluginKind::network;
  case BERTH_KIND_RUNTIME: return PluginKind::runtime;
  case BERTH_KIND_SCHEDULER: return PluginKind::scheduler;
  default: return std::nullopt;
  }
}

std::string_view option_type_name(OptionType type) noexcept {
  switch (type) {
  case OptionType::string: return "string";
  case OptionType::boolean: return "bool";
  case OptionType::integer: return "int";
  case OptionType::floating: return "float";
  case OptionType::list: return "list";
  case OptionType::map: return "map";
  }
  return "unknown";
}

namespace {

bool all_strings(const nlohmann::json &items) {
  return std::all_of(items.begin(), items.end(), [](const auto &v) { return v.is_string(); });
}

bool has_type(OptionType type, const nlohmann::json &value) {
  switch (type) {
  case OptionType::string: return value.is_string();
  case OptionType::boolean: return value.is_boolean();
  case OptionType::integer: return value.is_number_integer();
  case OptionType::floating: return value.is_number();
  case OptionType::list: return value.is_array() && all_strings(value);
  case OptionType::map: return value.is_object() && all_strings(value);
  }
  return false;
}

} // namespace

std::optional<std::string> check_option_value(const OptionSpec &spec, const nlohmann::json &value) {
  if (!has_type(spec.type, value)) {
    return "expected " + std::string(option_type_name(spec.type)) + ", got " + value.dump();
  }
  if (spec.choices.empty()) {
    return std::nullopt;
  }
  const auto text = value.get<std::string>();
  if (std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end()) {
    return std::nullopt;
  }
  std::string allowed;
  for (const auto &choice : spec.choices) {
    allowed += (allowed.empty() ? "" : ", ") + choice;
  }
  return "'" + text + "' is not one of: " + allowed;
}

std::vector<std::string> option_names(const std::vector<OptionSpec> &options) {
  std::vector<std::string> names;
  names.reserve(options.size());
  for (const auto &option : options) {
    names.push_back(option.name);
  }
  return names;
}

nlohmann::json option_from_text(const std::string &text) {
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && (parsed.is_number() || parsed.is_boolean())) {
    return parsed;
  }
  return text;
}

sdk::Result<nlohmann::json> checked_options(const PluginInfo &info, const nlohmann::json &options,
                                            const std::string &flag) {
  for (const auto &item : options.items()) {
    const std::string &key = item.key();
    std::string where = flag;
    where.append(" ").append(key);
    auto spec = std::find_if(info.options.begin(), info.options.end(),
                             [&](const OptionSpec &option) { return option.name == key; });
    if (spec == info.options.end()) {
      const auto names = option_names(info.options);
      std::string message = info.name;
      message.append(" has no option '")
          .append(key)
          .append("' (it takes: ")
          .append(list_or_none(names))
          .append(")")
          .append(did_you_mean(key, names));
      return sdk::make_error(sdk::Errc::invalid_argument, message, where);
    }
    if (auto problem = check_option_value(*spec, item.value())) {
      return sdk::make_error(sdk::Errc::invalid_argument, *problem, where);
    }
  }
  return with_defaults(info.options, options);
}

nlohmann::json with_defaults(const std::vector<OptionSpec> &options, nlohmann::json given) {
  if (!given.is_object()) {
    given = nlohmann::json::object();
  }
  for (const auto &option : options) {
    if (!given.contains(option.name) && option.default_value) {
      given[option.name] = *option.default_value;
    }
  }
  return given;
}

} // namespace berth
