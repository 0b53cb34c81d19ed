#include "common/directory_driver.hpp"

#include "common/file_tree.hpp"

namespace berth::storage {
namespace {

sdk::Error internal(const std::exception &e, const std::string &key) {
  return sdk::make_error(sdk::Errc::internal, e.what(), key);
}

} // namespace

DirectoryDriver::DirectoryDriver(sdk::HostServices &host, std::filesystem::path root)
    : table_(host, std::move(root)) {}

sdk::Result<std::vector<sdk::Mount>> DirectoryDriver::prepare(const std::string &key,
                                                              const std::string &parent) noexcept {
  return make(key, parent, sdk::SnapshotKind::active);
}

sdk::Result<std::vector<sdk::Mount>> DirectoryDriver::view(const std::string &key,
                                                           const std::string &parent) noexcept {
  return make(key, parent, sdk::SnapshotKind::view);
}

sdk::Result<std::vector<sdk::Mount>>
DirectoryDriver::make(const std::string &key, const std::string &parent, sdk::SnapshotKind kind) {
  try {
    SnapshotTable::Lock lock(table_);
    auto parent_record = table_.check_new(key, parent);
    if (!parent_record.ok()) {
      return std::move(parent_record).error();
    }
    SnapshotRecord record{key, SnapshotTable::new_id(), parent, kind, {}, {}};
    auto made = populate(record, *parent_record);
    // A directory name another snapshot has: populate() left it alone.
    for (int retry = 0; !made.ok() && made.error().code == sdk::Errc::already_exists && retry < 3;
         ++retry) {
      record = SnapshotRecord{key, SnapshotTable::new_id(), parent, kind, {}, {}};
      made = populate(record, *parent_record);
    }
    if (!made.ok()) {
      return std::move(made).error();
    }
    if (auto stored = table_.put(record); !stored.ok()) {
      // A vfs view borrows its parent's directory, which must survive.
      if (auto shared = table_.shared(record); shared.ok() && !*shared) {
        (void)release(record);
      }
      return std::move(stored).error();
    }
    return mounts_of(record);
  } catch (const std::exception &e) {
    return internal(e, key);
  }
}

sdk::Result<SnapshotRecord>
DirectoryDriver::record_of(const std::string &key, sdk::SnapshotKind kind, std::string_view need) {
  auto record = table_.get(key);
  if (record.ok() && record->kind != kind) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           std::string(need) + " needs an " + sdk::snapshot_kind_name(kind) +
                               " snapshot, not a " + sdk::snapshot_kind_name(record->kind) + " one",
                           key);
  }
  return record;
}

sdk::Result<void> DirectoryDriver::commit(const std::string &name,
                                          const std::string &key) noexcept {
  try {
    SnapshotTable::Lock lock(table_);
    auto record = record_of(key, sdk::SnapshotKind::active, "commit");
    if (!record.ok()) {
      return std::move(record).error();
    }
    auto taken = table_.find(name);
    if (!taken.ok()) {
      return std::move(taken).error();
    }
    if (taken->has_value()) {
      return sdk::make_error(sdk::Errc::already_exists, "snapshot already exists", name);
    }
    auto committed = *record;
    committed.key = name;
    committed.kind = sdk::SnapshotKind::committed;
    if (auto prepared = on_commit(committed); !prepared.ok()) {
      return prepared;
    }
    // The new name first: a crash in between leaves two names for one
    // directory (remove() keeps it while another name uses it), never none.
    if (auto stored = table_.put(committed); !stored.ok()) {
      return stored;
    }
    return table_.erase(key);
  } catch (const std::exception &e) {
    return internal(e, key);
  }
}

sdk::Result<std::vector<sdk::Mount>> DirectoryDriver::mounts(const std::string &key) noexcept {
  try {
    auto record = table_.get(key);
    if (!record.ok()) {
      return std::move(record).error();
    }
    if (record->kind == sdk::SnapshotKind::committed) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "a committed snapshot has no mounts; make a view of it", key);
    }
    return mounts_of(*record);
  } catch (const std::exception &e) {
    return internal(e, key);
  }
}

sdk::Result<void> DirectoryDriver::remove(const std::string &key) noexcept {
  try {
    SnapshotTable::Lock lock(table_);
    auto record = table_.get(key);
    if (!record.ok()) {
      return std::move(record).error();
    }
    auto children = table_.has_children(key);
    if (!children.ok()) {
      return std::move(children).error();
    }
    if (*children) {
      return sdk::make_error(sdk::Errc::busy, "snapshot has children; remove them first", key);
    }
    auto shared = table_.shared(*record);
    if (!shared.ok()) {
      return std::move(shared).error();
    }
    // The record goes first so that a crash leaves a directory without a
    // record, which the next lock's clean-up removes.
    if (auto erased = table_.erase(key); !erased.ok()) {
      return erased;
    }
    return *shared ? sdk::Result<void>{} : release(*record);
  } catch (const std::exception &e) {
    return internal(e, key);
  }
}

sdk::Result<sdk::SnapshotInfo> DirectoryDriver::stat(const std::string &key) noexcept {
  try {
    auto record = table_.get(key);
    if (!record.ok()) {
      return std::move(record).error();
    }
    return record->info();
  } catch (const std::exception &e) {
    return internal(e, key);
  }
}

sdk::Result<void>
DirectoryDriver::walk(const std::function<void(const sdk::SnapshotInfo &)> &visit) noexcept {
  try {
    auto records = table_.list();
    if (!records.ok()) {
      return std::move(records).error();
    }
    for (const auto &record : *records) {
      visit(record.info());
    }
    return {};
  } catch (const std::exception &e) {
    return internal(e, "");
  }
}

sdk::Result<sdk::DiskUsage> DirectoryDriver::usage(const std::string &key) noexcept {
  try {
    auto record = table_.get(key);
    if (!record.ok()) {
      return std::move(record).error();
    }
    if (record->kind == sdk::SnapshotKind::view) {
      return sdk::DiskUsage{}; // a view never holds data of its own
    }
    return disk_usage(data_dir(*record));
  } catch (const std::exception &e) {
    return internal(e, key);
  }
}

} // namespace berth::storage
