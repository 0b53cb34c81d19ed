// The engine facade: the only way front ends (the CLI today, berthd and the
// node agent later) reach stores, drivers and plugins.
#pragma once

#include "config/stack.hpp"
#include "host/host_facts.hpp"
#include "plugin/registry.hpp"

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct EngineOptions {
  std::optional<std::filesystem::path> stack_file; // --stack
  std::optional<std::filesystem::path> root;       // --root
  std::optional<sdk::LogLevel> log_level;          // --log-level
  // berth's own plugin directories, searched after the stack's plugins.paths.
  std::vector<std::filesystem::path> builtin_plugin_dirs;
};

// Which stack file to read: --stack, then $BERTH_STACK, then
// /etc/berth/stack.yaml; nullopt means the built-in default.
std::optional<std::filesystem::path> choose_stack_file(const EngineOptions &options);

class Engine;

struct EngineOpen {
  std::unique_ptr<Engine> engine; // null when diagnostics is not empty
  Diagnostics diagnostics;
};

class Engine {
public:
  // Reads and validates the stack, loads the plugins it needs and checks
  // their options. Nothing is changed on disk.
  static EngineOpen open(const EngineOptions &options);

  [[nodiscard]] const Stack &stack() const noexcept { return stack_; }
  [[nodiscard]] const PluginRegistry &plugins() const noexcept { return registry_; }
  [[nodiscard]] const std::filesystem::path &root() const noexcept { return stack_.root; }
  [[nodiscard]] const std::vector<std::filesystem::path> &plugin_dirs() const noexcept {
    return plugin_dirs_;
  }

  // Ok when the stack configures a driver of kind; otherwise the one-line
  // error a command that needs it should print.
  [[nodiscard]] sdk::Result<void> require_section(PluginKind kind) const;

  // The plugin the stack chose for kind ("overlay2"), or "" if none.
  [[nodiscard]] std::string chosen_plugin(PluginKind kind) const;

private:
  Engine(Stack stack, PluginRegistry registry, std::vector<std::filesystem::path> dirs);

  Stack stack_;
  PluginRegistry registry_;
  std::vector<std::filesystem::path> plugin_dirs_;
};

} // namespace berth
