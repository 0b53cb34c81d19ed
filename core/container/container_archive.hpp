// Files of a container as tar streams, for Docker's archive API (docker cp):
// a path's stat, a path packed as a tar, and a tar unpacked into a
// directory. Paths resolve inside the container's root (util/in_root.hpp);
// copies follow berth cp's rules (container/container_copy.hpp), through a
// private scratch directory on the host.
#pragma once

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace berth {

// What Docker's X-Docker-Container-Path-Stat header carries.
struct PathStat {
  std::string name; // the last element of the path
  std::uint64_t size = 0;
  std::uint32_t mode = 0;  // st_mode
  std::int64_t mtime = 0;  // seconds since the epoch
  std::string link_target; // for a symlink
};

// Receives the tar's bytes; false stops the copy (the client is gone).
using TarSink = std::function<bool(std::string_view)>;

// The entry at path below root, not following a final symlink.
sdk::Result<PathStat> stat_in_root(const std::filesystem::path &root, const std::string &path);

// Writes path (below root) as a tar whose top entry is named for its last
// element, as docker cp expects.
sdk::Result<void> tar_from_root(const std::filesystem::path &root, const std::string &path,
                                const TarSink &sink);

// Unpacks the tar file into the existing directory path below root; an entry
// never lands outside root, whatever the tar or the container's symlinks say.
sdk::Result<void> untar_into_root(const std::filesystem::path &tar_file,
                                  const std::filesystem::path &root, const std::string &path);

} // namespace berth
