// Kernel parameters under /proc/sys. Those under net/ belong to the network
// namespace of the calling thread (the kernel resolves them at open time),
// so a write changes only the namespace the driver runs in.
#pragma once

#include <berth/sdk/result.hpp>

#include <string>
#include <string_view>

namespace berth::network {

// Writes value to /proc/sys/<key>, key in path form: "net/ipv4/ip_forward".
// Skips the write when the value is already there, so that repeating it
// costs no change notification.
sdk::Result<void> write_sysctl(std::string_view key, std::string_view value);

} // namespace berth::network
