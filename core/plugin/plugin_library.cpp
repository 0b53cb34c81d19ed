#include "plugin/plugin_library.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>

namespace berth {
namespace {

// Boost.DLL clears dlerror() when a load fails; asking dlopen again recovers
// the loader's own words ("undefined symbol: x", "wrong ELF class").
std::string loader_message(const std::filesystem::path &file, const std::error_code &error) {
  void *retry = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (retry != nullptr) {
    dlclose(retry);
    return error.message();
  }
  const char *detail = dlerror();
  return detail != nullptr ? detail : error.message();
}

} // namespace

struct PluginLibrary::Handle {
  boost::dll::shared_library library;
};

PluginLibrary::PluginLibrary(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

PluginLibrary::~PluginLibrary() = default;

sdk::Result<std::shared_ptr<PluginLibrary>> PluginLibrary::open(const std::filesystem::path &file) {
  using boost::dll::load_mode::rtld_local;
  using boost::dll::load_mode::rtld_now;
  auto handle = std::make_unique<Handle>();
  std::error_code error;
  // RTLD_NOW: an unresolved symbol refuses the plugin here, not mid-operation.
  // RTLD_LOCAL: two plugins may use the same internal symbol names.
  handle->library.load(file, rtld_now | rtld_local, error);
  if (error) {
    return sdk::make_error(sdk::Errc::io,
                           "cannot load as a shared library: " + loader_message(file, error));
  }
  if (!handle->library.has(BERTH_PLUGIN_ENTRY_SYMBOL)) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "no 'berth_plugin' symbol; a plugin exports it with BERTH_PLUGIN(...)");
  }
  auto entry = handle->library.get<const berth_plugin_descriptor *()>(BERTH_PLUGIN_ENTRY_SYMBOL);
  std::shared_ptr<PluginLibrary> plugin(new PluginLibrary(std::move(handle)));
  plugin->descriptor_ = entry();
  return plugin;
}

} // namespace berth
