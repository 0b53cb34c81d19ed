// Layers produced as OCI layer tars (uncompressed), hashed into the content
// store as they are written: the native diff of a driver and the generic
// differ both write through this.
#pragma once

#include "image/content_store.hpp"

#include <berth/sdk/layer.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

struct archive;

namespace berth {

class TarLayerWriter final : public sdk::LayerWriter {
public:
  static sdk::Result<std::unique_ptr<TarLayerWriter>> open(const ContentStore &content);
  ~TarLayerWriter();
  TarLayerWriter(const TarLayerWriter &) = delete;
  TarLayerWriter &operator=(const TarLayerWriter &) = delete;
  TarLayerWriter(TarLayerWriter &&) = delete;
  TarLayerWriter &operator=(TarLayerWriter &&) = delete;

  sdk::Result<void> add(const sdk::LayerEntry &entry, int data_fd) noexcept override;
  sdk::Result<void> add_tree(const std::filesystem::path &dir,
                             sdk::WhiteoutFormat format) noexcept override;
  // Adds path (below root, open as dir_fd/name) and, for a directory,
  // everything under it.
  sdk::Result<void> add_subtree(int dir_fd, const std::string &name, const std::string &path,
                                sdk::WhiteoutFormat format);

  // Ends the tar and stores it; the digest is the layer's diff ID.
  sdk::Result<std::string> finish();

private:
  explicit TarLayerWriter(std::unique_ptr<ContentStore::Writer> blob);
  static long write_callback(struct archive *tar, void *self, const void *data, std::size_t size);
  sdk::Result<void> add_path(int dir_fd, const std::string &name, const std::string &path,
                             const struct stat &st, sdk::WhiteoutFormat format);

  std::unique_ptr<ContentStore::Writer> blob_;
  struct archive *tar_;
  std::string write_error_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_; // hard-linked inode -> first path
};

// A layer entry describing the file dir_fd/name, to be stored as path.
sdk::Result<sdk::LayerEntry> describe_file(int dir_fd, const std::string &name,
                                           const std::string &path, const struct stat &st);

// The generic differ: writes what changed from lower to upper (two mounted
// trees) to out, deletions as OCI whiteouts.
sdk::Result<void> diff_trees(const std::filesystem::path &lower, const std::filesystem::path &upper,
                             TarLayerWriter &out);

} // namespace berth
