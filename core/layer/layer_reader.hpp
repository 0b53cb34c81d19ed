// A layer tar (plain, gzip or zstd) read with libarchive, entries validated
// and OCI whiteouts decoded, the diff ID computed on the way.
#pragma once

#include <berth/sdk/layer.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>

struct archive;
struct archive_entry;

namespace berth {

enum class Compression { none, gzip, zstd, other };

class ArchiveLayerReader final : public sdk::LayerReader {
public:
  // name is what messages call the layer ("layer sha256:ab12…", a file name).
  static sdk::Result<std::unique_ptr<ArchiveLayerReader>> open(const std::filesystem::path &file,
                                                               std::string name);
  ~ArchiveLayerReader();
  ArchiveLayerReader(const ArchiveLayerReader &) = delete;
  ArchiveLayerReader &operator=(const ArchiveLayerReader &) = delete;
  ArchiveLayerReader(ArchiveLayerReader &&) = delete;
  ArchiveLayerReader &operator=(ArchiveLayerReader &&) = delete;

  sdk::Result<bool> next(sdk::LayerEntry &entry) noexcept override;
  sdk::Result<void> copy_data(int fd) noexcept override;
  sdk::Result<void> extract_to(const std::filesystem::path &dir,
                               sdk::WhiteoutFormat format) noexcept override;

  // Reads what is left and returns the diff ID: the sha256 of the
  // uncompressed stream.
  sdk::Result<std::string> finish();
  [[nodiscard]] std::uint64_t uncompressed_bytes() const noexcept { return uncompressed_; }
  [[nodiscard]] std::uint64_t compressed_bytes() const noexcept;
  [[nodiscard]] Compression compression() const noexcept;
  // Called with compressed_bytes() as the layer is read.
  void on_progress(std::function<void(std::uint64_t)> progress) { progress_ = std::move(progress); }

private:
  explicit ArchiveLayerReader(std::string name);
  static long read_callback(struct archive *tar, void *self, const void **buffer);
  sdk::Result<bool> decode(struct archive_entry *raw, sdk::LayerEntry &entry);
  // Calls visit with each remaining entry; stops at the first error.
  sdk::Result<void>
  for_each_entry(const std::function<sdk::Result<void>(const sdk::LayerEntry &)> &visit);
  sdk::Error failure(const char *what) const;
  sdk::Error entry_error(const std::string &path, const std::string &what) const;

  struct Archives;
  std::unique_ptr<Archives> archives_;
  std::string name_;
  std::string raw_error_; // why the decompressor stopped, if it did
  std::unique_ptr<class BackgroundSha256> hash_;
  std::uint64_t uncompressed_ = 0;
  std::function<void(std::uint64_t)> progress_;
  std::set<std::string> files_;    // regular files so far: what hard links may name
  std::set<std::string> symlinks_; // symlinks so far: what later paths may not pass through
  bool at_end_ = false;
};

// A path as a layer names it, normalised ("./a//b/" -> "a/b"), or an error
// message when it is absolute, climbs out with ".." or is longer than Linux
// allows (4095 bytes).
sdk::Result<std::string> normalize_layer_path(std::string_view path);

} // namespace berth
