// HostServices: everything a plugin may ask of the core.
//
// A plugin never includes core headers; it reaches the engine only through
// this object, which its factory receives and which outlives the instance.
#pragma once

#include <berth/sdk/result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::sdk::inline v1 {

enum class LogLevel { trace, debug, info, warn, error };

// The core routes these lines into its own logger (level, text/json format),
// tagged with the plugin's name. Keeping spdlog out of the SDK keeps plugin
// builds light and free of a second logging library version.
class Logger {
public:
  virtual ~Logger() = default;
  [[nodiscard]] virtual bool enabled(LogLevel level) const noexcept = 0;
  virtual void log(LogLevel level, std::string_view message) noexcept = 0;

  void debug(std::string_view message) noexcept { log(LogLevel::debug, message); }
  void info(std::string_view message) noexcept { log(LogLevel::info, message); }
  void warn(std::string_view message) noexcept { log(LogLevel::warn, message); }
  void error(std::string_view message) noexcept { log(LogLevel::error, message); }
};

// A small persistent key-value store private to one plugin. Writes are
// durable when the call returns.
class KeyValueStore {
public:
  virtual ~KeyValueStore() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key) noexcept = 0;
  virtual Result<void> put(std::string_view key, std::string_view value) noexcept = 0;
  virtual Result<void> erase(std::string_view key) noexcept = 0;
  // Every (key, value) whose key starts with prefix, in key order.
  virtual Result<std::vector<std::pair<std::string, std::string>>>
  list(std::string_view prefix) noexcept = 0;
};

class HostServices {
public:
  virtual ~HostServices() = default;

  virtual Logger &logger() noexcept = 0;
  // A directory owned by this plugin under the engine's state root; it exists
  // when this call returns.
  virtual Result<std::filesystem::path> state_dir() noexcept = 0;
  virtual KeyValueStore &kv() noexcept = 0;
  // Injected so that tests and simulations can control time.
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const noexcept = 0;
  // True once the user asked the current operation to stop (Ctrl-C). Long
  // loops check it and return Errc::cancelled.
  [[nodiscard]] virtual bool cancelled() const noexcept = 0;
};

} // namespace berth::sdk::inline v1
