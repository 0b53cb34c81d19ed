// Paths inside a container's or image's root filesystem, resolved with
// openat2(RESOLVE_IN_ROOT): a symlink in the tree, whatever it says, never
// leads outside it.
#pragma once

#include "util/fd.hpp"

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace berth {

// flags as for open(2); O_CLOEXEC is added. -1 with errno on failure.
int open_in_root(int root, const std::string &path, int flags, mode_t mode = 0);
// mkdir -p of path below root (for a missing working directory).
sdk::Result<void> make_directories_in_root(const std::filesystem::path &root,
                                           const std::string &path);
// The whole of a small file below root, or nullopt when it is absent.
std::optional<std::string> read_file_in_root(const std::filesystem::path &root,
                                             const std::string &path);

} // namespace berth
