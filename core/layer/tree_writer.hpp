// Writes validated layer entries below a directory. Every path is resolved
// with openat2(RESOLVE_IN_ROOT), so no symlink inside the tree, whatever the
// layers put there, can lead a write outside it.
#pragma once

#include "util/fd.hpp"

#include <berth/sdk/layer.hpp>

#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

namespace berth {

class TreeWriter {
public:
  static sdk::Result<TreeWriter> open(const std::filesystem::path &root,
                                      sdk::WhiteoutFormat format);

  // data supplies a regular entry's content.
  sdk::Result<void> write(const sdk::LayerEntry &entry, sdk::LayerReader &data);
  // Sets directory metadata, which writing their children would change.
  sdk::Result<void> finish();

private:
  TreeWriter(UniqueFd root, std::string root_path, sdk::WhiteoutFormat format);

  sdk::Result<int> parent_of(const std::string &path);
  sdk::Result<UniqueFd> open_dir(const std::string &path, bool create);
  sdk::Result<void> clear(int parent, const std::string &name, bool keep_dir);
  sdk::Result<void> whiteout(const sdk::LayerEntry &entry);
  // A directory made where this layer left an overlay whiteout must hide the
  // lower one it replaces, as the whiteout did.
  sdk::Result<void> hide_lower(int dir_fd, const std::string &path);
  sdk::Result<void> opaque(const sdk::LayerEntry &entry);
  sdk::Result<void> create(int parent, const std::string &name, const sdk::LayerEntry &entry,
                           sdk::LayerReader &data);
  sdk::Result<void> set_metadata(int parent, const std::string &name, const sdk::LayerEntry &entry,
                                 int fd);
  [[nodiscard]] std::string where(const std::string &path) const { return root_path_ + "/" + path; }

  UniqueFd root_;
  std::string root_path_;
  sdk::WhiteoutFormat format_;
  std::unordered_set<std::string> created_;   // paths this layer made
  std::unordered_set<std::string> whiteouts_; // overlay whiteouts this layer made
  std::vector<sdk::LayerEntry> directories_;
  std::string cached_parent_; // consecutive entries usually share a directory
  UniqueFd cached_fd_;
};

// Removes name below parent, recursing into directories, never following
// symlinks.
sdk::Result<void> remove_at(int parent, const std::string &name, const std::string &where);

} // namespace berth
