// The handshake: everything checked about a descriptor before any C++ type
// crosses the library boundary.
#pragma once

#include "plugin/plugin_info.hpp"

#include <berth/sdk/plugin_abi.h>
#include <berth/sdk/result.hpp>

namespace berth {

// The descriptor as PluginInfo, or the one-line reason it is refused.
sdk::Result<PluginInfo> check_descriptor(const berth_plugin_descriptor *descriptor);

// The toolchain tag the core was built with.
const char *core_toolchain_tag() noexcept;

} // namespace berth
