// One plugin shared library, opened RTLD_NOW | RTLD_LOCAL through Boost.DLL.
#pragma once

#include <berth/sdk/plugin_abi.h>
#include <berth/sdk/result.hpp>

#include <filesystem>
#include <memory>

namespace berth {

class PluginLibrary {
public:
  // Opens file and calls its berth_plugin(); the descriptor is not checked.
  static sdk::Result<std::shared_ptr<PluginLibrary>> open(const std::filesystem::path &file);

  ~PluginLibrary();
  PluginLibrary(const PluginLibrary &) = delete;
  PluginLibrary &operator=(const PluginLibrary &) = delete;
  PluginLibrary(PluginLibrary &&) = delete;
  PluginLibrary &operator=(PluginLibrary &&) = delete;

  [[nodiscard]] const berth_plugin_descriptor *descriptor() const noexcept { return descriptor_; }

private:
  struct Handle;
  explicit PluginLibrary(std::unique_ptr<Handle> handle);

  std::unique_ptr<Handle> handle_;
  const berth_plugin_descriptor *descriptor_ = nullptr;
};

} // namespace berth
