#include "vfs/vfs_driver.hpp"

#include "common/file_tree.hpp"

#include <sys/stat.h>

namespace berth::storage {

sdk::Result<std::unique_ptr<VfsDriver>> VfsDriver::create(sdk::HostServices &host,
                                                          const nlohmann::json & /*options*/) {
  auto root = host.state_dir();
  if (!root.ok()) {
    return std::move(root).error();
  }
  std::error_code ec;
  std::filesystem::create_directories(*root / "snapshots", ec);
  if (ec) {
    return sdk::make_error(sdk::Errc::io, "cannot create the snapshot directory: " + ec.message(),
                           (*root / "snapshots").string());
  }
  return std::make_unique<VfsDriver>(host, *root);
}

sdk::Result<void> VfsDriver::populate(SnapshotRecord &record,
                                      const std::optional<SnapshotRecord> &parent) {
  const auto dir = table_.dir(record.id);
  if (!parent) {
    if (::mkdir(dir.c_str(), 0755) != 0) {
      return sdk::errno_error("mkdir", dir.string());
    }
    return {};
  }
  // A view never changes, so it shares its parent's tree; an active snapshot
  // gets a copy of its own.
  if (record.kind == sdk::SnapshotKind::view) {
    record.id = parent->id;
    return {};
  }
  auto copied = copy_tree(table_.dir(parent->id), dir);
  if (!copied.ok() && copied.error().code != sdk::Errc::already_exists) {
    (void)remove_tree(dir); // ours, half copied; an existing one is someone else's
  }
  return copied;
}

sdk::Result<void> VfsDriver::release(const SnapshotRecord &record) {
  return remove_tree(table_.dir(record.id));
}

std::vector<sdk::Mount> VfsDriver::mounts_of(const SnapshotRecord &record) const {
  return {bind_mount(table_.dir(record.id), record.kind == sdk::SnapshotKind::view)};
}

} // namespace berth::storage
