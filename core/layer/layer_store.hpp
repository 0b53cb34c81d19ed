// Layers by OCI chain ID: rows in SQLite, files in the storage driver. A
// layer is applied into a temporary active snapshot and committed under its
// chain ID only when complete and its diff ID checks out, so no half layer
// ever has a name.
#pragma once

#include "image/content_store.hpp"
#include "store/sqlite.hpp"

#include <berth/sdk/storage.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace berth {

struct LayerRecord {
  std::string chain_id;
  std::string diff_id;
  std::string parent;     // chain ID, empty at the bottom
  std::uint64_t size = 0; // uncompressed tar bytes
};

// Called with bytes done of the compressed blob.
using ByteProgress = std::function<void(std::uint64_t)>;

class LayerStore {
public:
  LayerStore(Database &db, std::shared_ptr<sdk::StorageDriver> driver, std::filesystem::path root);

  std::optional<LayerRecord> find(const std::string &chain_id);
  // Applies the layer tar at blob on top of parent. expected_diff_id, when
  // given, must match what the tar holds. Returns the existing layer if the
  // chain is already there.
  sdk::Result<LayerRecord> apply(const std::string &parent, const std::filesystem::path &blob,
                                 const std::string &expected_diff_id, const std::string &name,
                                 const ByteProgress &progress = {});
  // The changes of snapshot key against its parent as a layer tar in
  // content: the driver's own diff, else the generic differ over mounts.
  // Returns the blob's digest, which is also its diff ID (it is plain tar).
  sdk::Result<std::string> diff(const std::string &key, const std::string &parent,
                                const ContentStore &content);

  // Removes layers no image uses any more, top first. Call inside the store
  // lock, after the transaction that dropped the images.
  sdk::Result<std::size_t> remove_unused();
  // Removes what a crash left: temporary snapshots, snapshots without rows,
  // rows without snapshots. Call inside the store lock.
  void collect_garbage();

  [[nodiscard]] sdk::StorageDriver &driver() const noexcept { return *driver_; }

private:
  sdk::Result<std::string> apply_into(const std::string &key, const std::filesystem::path &blob,
                                      const std::string &name, const ByteProgress &progress,
                                      std::uint64_t &size);
  Database &db_;
  std::shared_ptr<sdk::StorageDriver> driver_;
  std::filesystem::path root_;
};

// A temporary directory under root/tmp with driver mounts on it, undone on
// destruction.
class MountedSnapshot {
public:
  static sdk::Result<std::unique_ptr<MountedSnapshot>> mount(const std::vector<sdk::Mount> &mounts,
                                                             const std::filesystem::path &tmp_root);
  ~MountedSnapshot();
  MountedSnapshot(const MountedSnapshot &) = delete;
  MountedSnapshot &operator=(const MountedSnapshot &) = delete;
  MountedSnapshot(MountedSnapshot &&) = delete;
  MountedSnapshot &operator=(MountedSnapshot &&) = delete;
  [[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }

private:
  explicit MountedSnapshot(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

} // namespace berth
