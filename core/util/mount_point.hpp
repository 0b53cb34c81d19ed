// Whether a path is where something is mounted.
#pragma once

#include <filesystem>

namespace berth {

// True when a mount's root is at path: also a bind mount from the same
// filesystem (vfs's rootfs), which an st_dev comparison cannot see, so that
// a second start or cp stacks no second mount and rm leaves none behind.
// statx's STATX_ATTR_MOUNT_ROOT where the kernel reports it (5.8+), else
// this mount namespace's /proc/self/mountinfo.
bool is_mount_point(const std::filesystem::path &path);

} // namespace berth
