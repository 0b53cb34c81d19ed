// vfs: every snapshot is a complete directory tree. Slow to prepare and big on
// disk, but it works on any file system, which makes it the reference driver.
// It has no apply or diff of its own: the core's generic ones serve it.
#pragma once

#include "common/directory_driver.hpp"

#include <memory>

namespace berth::storage {

class VfsDriver final : public DirectoryDriver {
public:
  static sdk::Result<std::unique_ptr<VfsDriver>> create(sdk::HostServices &host,
                                                        const nlohmann::json &options);
  using DirectoryDriver::DirectoryDriver;

protected:
  sdk::Result<void> populate(SnapshotRecord &record,
                             const std::optional<SnapshotRecord> &parent) override;
  sdk::Result<void> release(const SnapshotRecord &record) override;
  [[nodiscard]] std::vector<sdk::Mount> mounts_of(const SnapshotRecord &record) const override;
  [[nodiscard]] std::filesystem::path data_dir(const SnapshotRecord &record) const override {
    return table_.dir(record.id);
  }
};

} // namespace berth::storage
