// PluginRegistry: finds plugin libraries, runs the handshake, and creates
// driver objects that keep their library loaded for as long as they live.
#pragma once

#include "plugin/plugin_index.hpp"
#include "plugin/plugin_info.hpp"

#include <berth/sdk/host.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/plugin_abi.h>
#include <berth/sdk/result.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

class PluginLibrary; // a loaded shared library (Boost.DLL), see plugin_library.hpp

enum class PluginStatus { loaded, skipped, refused };

std::string_view status_name(PluginStatus status) noexcept;

struct PluginEntry {
  std::filesystem::path file; // empty for a plugin linked into the binary
  PluginStatus status = PluginStatus::refused;
  std::string reason;             // why skipped or refused
  std::optional<PluginInfo> info; // absent when refused before the name was known
  // Loaded entries once opened. An entry known from the PluginIndex is
  // "loaded" with neither until something creates an instance of it.
  const berth_plugin_descriptor *descriptor = nullptr;
  std::shared_ptr<PluginLibrary> library; // dynamic entries only

  // "FILE: reason" or "plugin 'name': reason" for built-in plugins.
  [[nodiscard]] std::string describe_problem() const;
};

class PluginRegistry {
public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry &) = delete;
  PluginRegistry &operator=(const PluginRegistry &) = delete;
  PluginRegistry(PluginRegistry &&) noexcept;
  PluginRegistry &operator=(PluginRegistry &&) noexcept;

  // Every berth-*.so in dir, in name order; other files are never opened, as
  // dlopen runs a library's constructors. A missing directory loads nothing.
  // With an index, a file it knows is admitted from it without being opened
  // (see open_all), and what was opened is remembered in it.
  void load_directory(const std::filesystem::path &dir, PluginIndex *index = nullptr);
  void load_file(const std::filesystem::path &file, PluginIndex *index = nullptr);
  // A descriptor linked into this binary; same handshake, no dlopen.
  void add_builtin(const berth_plugin_descriptor *(*entry)());

  // Opens every entry admitted from an index, so that statuses and reasons
  // are those of the plugins as they are now: for commands that list them.
  void open_all() const;

  [[nodiscard]] const std::vector<PluginEntry> &entries() const noexcept { return entries_; }
  // The entry that owns name, whatever its status; nullptr if none.
  [[nodiscard]] const PluginEntry *find(std::string_view name) const noexcept;
  // Names of the plugins of one kind that passed the handshake (loaded or
  // skipped on this host), sorted: what a stack may name.
  [[nodiscard]] std::vector<std::string> plugin_names(PluginKind kind) const;

  // A new instance of the loaded plugin name. options must already be
  // validated (see config/); defaults are filled in here.
  template <class Interface>
  sdk::Result<std::shared_ptr<Interface>>
  create(std::string_view name, const nlohmann::json &options,
         const std::shared_ptr<sdk::HostServices> &host) const {
    auto made = create_raw(name, sdk::KindOf<Interface>::value, options, host);
    if (!made.ok()) {
      return std::move(made).error();
    }
    auto raw = std::move(made).value();
    return std::shared_ptr<Interface>(raw, static_cast<Interface *>(raw.get()));
  }

private:
  sdk::Result<std::shared_ptr<void>> create_raw(std::string_view name, std::uint32_t abi_kind,
                                                const nlohmann::json &options,
                                                std::shared_ptr<sdk::HostServices> host) const;
  void admit(PluginEntry entry);
  // Opens an entry admitted from an index: the same handshake and probe as
  // load_file; the entry becomes refused or skipped if they now fail.
  void open_entry(PluginEntry &entry) const;

  // Opening an indexed entry fills in its library on first use, under
  // open_mutex_. find(), entries() and plugin_names() read without it, so a
  // process that creates plugins from several threads (a daemon) calls
  // open_all() once before it serves; after that nothing here changes.
  mutable std::vector<PluginEntry> entries_;
  std::unique_ptr<std::mutex> open_mutex_ = std::make_unique<std::mutex>();
};

} // namespace berth
