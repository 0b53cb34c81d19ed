// Layers as streams of entries: how a layer tar crosses the plugin boundary.
//
// The core owns the tar format, compression, digests and every safety check
// (no entry escapes the root, hard links stay inside the layer, no path goes
// through a symlink the same layer made). A driver sees validated entries with
// OCI whiteouts already decoded, so it never parses a tar or a ".wh." name.
#pragma once

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace berth::sdk::inline v1 {

enum class EntryType : std::uint8_t {
  regular,
  directory,
  symlink,
  hardlink, // link names an earlier regular entry of the same layer
  char_device,
  block_device,
  fifo,
  whiteout, // path was deleted in this layer (OCI ".wh.NAME")
  opaque,   // directory path hides everything below it (OCI ".wh..wh..opq")
};

struct LayerEntry {
  std::string path; // relative and normalised: "etc/passwd"; never "..", never absolute
  EntryType type = EntryType::regular;
  std::uint32_t mode = 0; // permission bits, including setuid/setgid/sticky
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime_sec = 0;
  std::uint32_t mtime_nsec = 0;
  std::uint64_t size = 0; // regular files
  std::string link;       // symlink target, or the hard link's target path
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// How a directory tree records deletions.
enum class WhiteoutFormat : std::uint8_t {
  overlay, // overlayfs: char device 0/0 for a deleted path, trusted.overlay.opaque=y
  remove,  // a full tree: deleted paths are simply gone
};

// A layer being applied. Implemented by the core.
class LayerReader {
public:
  // The next entry, or false at the end of the layer.
  virtual Result<bool> next(LayerEntry &entry) noexcept = 0;
  // Writes the current regular entry's content to fd.
  virtual Result<void> copy_data(int fd) noexcept = 0;
  // Writes every remaining entry below dir, the way a driver storing plain
  // directories wants: metadata, xattrs and hard links kept, deletions in
  // format. Nothing is written outside dir, whatever the symlinks inside say.
  virtual Result<void> extract_to(const std::filesystem::path &dir,
                                  WhiteoutFormat format) noexcept = 0;

protected:
  ~LayerReader() = default;
};

// A layer being produced. Implemented by the core.
class LayerWriter {
public:
  // data_fd is read for regular entries and ignored (pass -1) otherwise.
  virtual Result<void> add(const LayerEntry &entry, int data_fd) noexcept = 0;
  // Every path below dir as a change set whose deletions are in format: what
  // an overlay upper directory holds.
  virtual Result<void> add_tree(const std::filesystem::path &dir,
                                WhiteoutFormat format) noexcept = 0;

protected:
  ~LayerWriter() = default;
};

} // namespace berth::sdk::inline v1
