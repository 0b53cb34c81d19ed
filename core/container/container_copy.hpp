// `berth cp`: copying files between a container's root filesystem and the
// host, with Docker's rules for where the copy lands.
//
// root is the container's root as the host sees it (/proc/PID/root while it
// runs, the mounted rootfs otherwise). Every container path is resolved with
// openat2(RESOLVE_IN_ROOT) below an fd of root, so a symlink in the container,
// absolute or "../..", never leads to the host; and entries are created and
// read relative to directory fds without following symlinks, so a link is
// copied as a link and never written through. Regular files, directories and
// symlinks are copied with their mode, owner (when we are root) and times;
// devices, fifos and sockets are skipped.
//
// Where the copy lands, for a source SRC and a destination DEST:
// - SRC a file: DEST an existing directory gets DEST/basename(SRC); any other
//   DEST is written (replaced) as the file; its parent must exist.
// - SRC a directory: DEST an existing directory gets DEST/basename(SRC), or
//   SRC's contents when SRC ends in "/."; a missing DEST is created as a copy
//   of SRC; an existing file is an error.
// - A source ending in "/" must be a directory, and a symlink there is
//   followed (inside the container). A destination ending in "/" must be a
//   directory or, for a directory source, missing.
//
// Errors about a top-level path carry that path, as the caller gave it, as
// their context, so that a front end can name the container beside it.
#pragma once

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <string>

namespace berth {

// Copies container_path (below root) to host_destination.
sdk::Result<void> copy_out(const std::filesystem::path &root, const std::string &container_path,
                           const std::filesystem::path &host_destination);

// Copies host_source to container_path below root.
sdk::Result<void> copy_in(const std::filesystem::path &host_source,
                          const std::filesystem::path &root, const std::string &container_path);

} // namespace berth
