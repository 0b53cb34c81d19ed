// What the core knows about a plugin once its descriptor passed the handshake.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

enum class PluginKind { storage, network, runtime, scheduler };

inline constexpr PluginKind kAllPluginKinds[] = {PluginKind::storage, PluginKind::network,
                                                 PluginKind::runtime, PluginKind::scheduler};

std::string_view kind_name(PluginKind kind) noexcept;
std::optional<PluginKind> kind_from_abi(std::uint32_t value) noexcept;

enum class OptionType { string, boolean, integer, floating, list, map };

std::string_view option_type_name(OptionType type) noexcept;

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::string;
  std::optional<nlohmann::json> default_value; // nullopt: required
  std::vector<std::string> choices;            // strings only; empty: any
  std::string doc;
};

struct PluginInfo {
  PluginKind kind = PluginKind::storage;
  std::string name;
  std::string version;
  std::string description;
  std::vector<OptionSpec> options;
};

// Why value cannot be the option's value, or nullopt if it can.
std::optional<std::string> check_option_value(const OptionSpec &spec, const nlohmann::json &value);

// The options' names in schema order, for hints and messages.
std::vector<std::string> option_names(const std::vector<OptionSpec> &options);

// options with every missing key filled from its default. Assumes validated.
nlohmann::json with_defaults(const std::vector<OptionSpec> &options, nlohmann::json given);

} // namespace berth
