// overlay2: each snapshot is an overlayfs upper directory; a container's root
// is its own upper over the read-only diffs of its image's layers.
//
// Layout under the state directory:
//   snapshots/<id>/diff   this snapshot's files (whiteouts in overlay form)
//   snapshots/<id>/work   overlayfs' work directory
//   l/<LINK>              short symlink to ../snapshots/<id>/diff, made at
//                         commit: only committed snapshots are ever lowers
// lowerdir= names the short links, so that 200 layers still fit the one-page
// mount data limit once the mounter makes them relative to l/.
#pragma once

#include "common/directory_driver.hpp"

#include <memory>

namespace berth::storage {

class OverlayDriver final : public DirectoryDriver, public sdk::LayerApply, public sdk::LayerDiff {
public:
  static std::optional<std::string> probe();
  static sdk::Result<std::unique_ptr<OverlayDriver>> create(sdk::HostServices &host,
                                                            const nlohmann::json &options);
  using DirectoryDriver::DirectoryDriver;

  void *query(std::string_view interface_id) noexcept override;

  sdk::Result<void> apply(const std::string &key, sdk::LayerReader &layer) noexcept override;
  sdk::Result<void> diff(const std::string &key, sdk::LayerWriter &out) noexcept override;

protected:
  sdk::Result<void> populate(SnapshotRecord &record,
                             const std::optional<SnapshotRecord> &parent) override;
  sdk::Result<void> on_commit(SnapshotRecord &record) override;
  sdk::Result<void> release(const SnapshotRecord &record) override;
  [[nodiscard]] std::vector<sdk::Mount> mounts_of(const SnapshotRecord &record) const override;
  [[nodiscard]] std::filesystem::path data_dir(const SnapshotRecord &record) const override {
    return table_.dir(record.id) / "diff";
  }

private:
  sdk::Result<std::string> make_link(const std::string &id);
  [[nodiscard]] std::filesystem::path link_path(const std::string &link) const {
    return table_.root() / "l" / link;
  }
};

} // namespace berth::storage
