// Process-wide logging (spdlog to stderr), in text or JSON lines.
//
// spdlog stays inside log/; the rest of the core and every plugin log
// through sdk::Logger, which keeps its heavy headers out of other files.
#pragma once

#include <berth/sdk/host.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

enum class LogFormat { text, json };

std::optional<sdk::LogLevel> parse_log_level(std::string_view text);
std::vector<std::string> log_level_names();

// Sets the level and line format of every logger, existing and future.
void configure_logging(sdk::LogLevel level, LogFormat format);

// A logger whose lines carry component (a plugin's name, "engine", ...).
std::shared_ptr<sdk::Logger> make_logger(std::string component);

} // namespace berth
