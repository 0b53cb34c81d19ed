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
// How much of a file a container can write berth reads (its /etc/passwd,
// /etc/group, /etc/hosts): a container that grows one to gigabytes must not
// make berth use gigabytes.
inline constexpr std::size_t kContainerFileLimit = std::size_t{4} << 20;

// What fd holds, up to limit bytes; a longer file is cut after its last
// whole line within limit, so that no half line is ever parsed as a whole
// entry ("app:x:100" of "app:x:1000:...").
std::string read_whole_lines(int fd, std::size_t limit = kContainerFileLimit);

// A small regular file below root, read with read_whole_lines, or nullopt
// when it is absent or not a regular file.
std::optional<std::string> read_file_in_root(const std::filesystem::path &root,
                                             const std::string &path);

} // namespace berth
