// The parts of a StorageDriver that are the same for every driver keeping
// snapshots as directories with records in the host's key-value store:
// commit, remove, stat, walk and mounts. A driver adds how a snapshot is made,
// mounted, measured and released.
#pragma once

#include "common/snapshot_table.hpp"

#include <berth/sdk/storage.hpp>

namespace berth::storage {

class DirectoryDriver : public sdk::StorageDriver {
public:
  DirectoryDriver(sdk::HostServices &host, std::filesystem::path root);

  sdk::Result<std::vector<sdk::Mount>> prepare(const std::string &key,
                                               const std::string &parent) noexcept override;
  sdk::Result<std::vector<sdk::Mount>> view(const std::string &key,
                                            const std::string &parent) noexcept override;
  sdk::Result<void> commit(const std::string &name, const std::string &key) noexcept override;
  sdk::Result<std::vector<sdk::Mount>> mounts(const std::string &key) noexcept override;
  sdk::Result<void> remove(const std::string &key) noexcept override;
  sdk::Result<sdk::SnapshotInfo> stat(const std::string &key) noexcept override;
  sdk::Result<void>
  walk(const std::function<void(const sdk::SnapshotInfo &)> &visit) noexcept override;
  sdk::Result<sdk::DiskUsage> usage(const std::string &key) noexcept override;

protected:
  // Creates record's files (record.id is fresh) on top of parent; the
  // record is stored afterwards. On failure nothing may be left behind.
  virtual sdk::Result<void> populate(SnapshotRecord &record,
                                     const std::optional<SnapshotRecord> &parent) = 0;
  // Called under the lock before a commit is recorded; record is the
  // committed one and may be changed.
  virtual sdk::Result<void> on_commit(SnapshotRecord & /*record*/) { return {}; }
  // Undoes populate() once the record is gone.
  virtual sdk::Result<void> release(const SnapshotRecord &record) = 0;
  // Mounts of an active snapshot or a view.
  [[nodiscard]] virtual std::vector<sdk::Mount> mounts_of(const SnapshotRecord &record) const = 0;
  // The directory whose size is the snapshot's own.
  [[nodiscard]] virtual std::filesystem::path data_dir(const SnapshotRecord &record) const = 0;

  // The record of key, which must be of kind.
  sdk::Result<SnapshotRecord> record_of(const std::string &key, sdk::SnapshotKind kind,
                                        std::string_view need);

  SnapshotTable table_;

private:
  sdk::Result<std::vector<sdk::Mount>> make(const std::string &key, const std::string &parent,
                                            sdk::SnapshotKind kind);
};

} // namespace berth::storage
