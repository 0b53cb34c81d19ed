// Performs the mounts a storage driver describes.
#pragma once

#include <berth/sdk/storage.hpp>

#include <filesystem>
#include <vector>

namespace berth {

// Mounts every spec on target, in order. An overlay whose options exceed the
// kernel's one-page limit is mounted with its lower directories relative to
// their common parent, which is how 200 layers fit.
sdk::Result<void> mount_all(const std::vector<sdk::Mount> &mounts,
                            const std::filesystem::path &target);

// Unmounts target (lazily if it is busy).
sdk::Result<void> unmount(const std::filesystem::path &target);

} // namespace berth
