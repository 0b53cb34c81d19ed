// File-system helpers for directory-based drivers.
#pragma once

#include <berth/sdk/result.hpp>
#include <berth/sdk/storage.hpp>

#include <filesystem>

namespace berth::storage {

// Bytes allocated and inodes below dir, hard links counted once.
sdk::Result<sdk::DiskUsage> disk_usage(const std::filesystem::path &dir);

// Removes dir and everything below it, never following a symlink.
sdk::Result<void> remove_tree(const std::filesystem::path &dir);

// Copies the tree at from to to (which must not exist), keeping modes,
// owners, timestamps, xattrs, symlinks, hard links and special files. File
// data is cloned (FICLONE) where the file system shares extents, else copied
// in the kernel (copy_file_range).
sdk::Result<void> copy_tree(const std::filesystem::path &from, const std::filesystem::path &to);

// A mount of dir itself, read-write or read-only.
sdk::Mount bind_mount(const std::filesystem::path &dir, bool read_only);

} // namespace berth::storage
