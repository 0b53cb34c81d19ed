// Directories and files holding what other local users must not read:
// every container's environment (-e secrets) is in berth.db, and image
// layers and volumes hold setuid binaries and device nodes.
#pragma once

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace berth {

// Makes dir (and missing parents) with exactly mode, whatever the umask; an
// existing dir with permission bits beyond mode is narrowed to mode. The
// returned text says what was narrowed ("0755 -> 0710"), for a warning.
sdk::Result<std::optional<std::string>> make_private_dir(const std::filesystem::path &dir,
                                                         mode_t mode);

// Creates file if absent with 0600 and narrows it, and its SQLite -wal and
// -shm companions, to 0600 (SQLite gives new companions the file's mode).
sdk::Result<void> make_private_database_file(const std::filesystem::path &file);

// Writes file whole or not at all: the text goes to a temporary beside it
// (named for this process and thread, so that concurrent writers never share
// one), created with mode, synced when sync, then renamed over file.
sdk::Result<void> write_file_atomically(const std::filesystem::path &file, std::string_view text,
                                        mode_t mode, bool sync);

} // namespace berth
