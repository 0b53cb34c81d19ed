// What the core knows about a plugin once its descriptor passed the handshake.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <berth/sdk/result.hpp>

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

// An option's value from command-line text ("-o mtu=9000"): numbers and
// booleans become JSON ones, so that the schema sees the types it declared.
nlohmann::json option_from_text(const std::string &text);

// options checked against info's schema, with every default filled in. An
// unknown key or a bad value is Errc::invalid_argument in context
// "FLAG KEY" (flag as the user typed it: "-o", "--drivers bridge").
sdk::Result<nlohmann::json> checked_options(const PluginInfo &info, const nlohmann::json &options,
                                            const std::string &flag);

// options with every missing key filled from its default. Assumes validated.
nlohmann::json with_defaults(const std::vector<OptionSpec> &options, nlohmann::json given);

} // namespace berth
