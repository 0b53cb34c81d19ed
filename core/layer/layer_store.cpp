#include "layer/layer_store.hpp"

#include "image/digest.hpp"
#include "layer/layer_reader.hpp"
#include "layer/layer_writer.hpp"
#include <berth/sdk/mount.hpp>

#include <unistd.h>

#include <map>
#include <random>
#include <set>

namespace berth {
namespace {

constexpr std::string_view kTemporaryPrefix = "extract-";

std::string temporary_key() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::string(kTemporaryPrefix) + std::to_string(::getpid()) + "-" +
         std::to_string(generator());
}

} // namespace

LayerStore::LayerStore(Database &db, std::shared_ptr<sdk::StorageDriver> driver,
                       std::filesystem::path root)
    : db_(db), driver_(std::move(driver)), root_(std::move(root)) {
  db_.write("CREATE TABLE IF NOT EXISTS layers("
            "chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT NOT NULL,"
            "size INTEGER NOT NULL)");
  std::filesystem::create_directories(root_ / "tmp");
}

std::optional<LayerRecord> LayerStore::find(const std::string &chain_id) {
  auto query = db_.prepare("SELECT diff_id, parent, size FROM layers WHERE chain_id = ?");
  query.bind(1, chain_id);
  if (!query.step()) {
    return std::nullopt;
  }
  return LayerRecord{chain_id, query.text(0), query.text(1),
                     static_cast<std::uint64_t>(query.integer(2))};
}

sdk::Result<std::unique_ptr<MountedSnapshot>>
MountedSnapshot::mount(const std::vector<sdk::Mount> &mounts,
                       const std::filesystem::path &tmp_root) {
  std::string dir = (tmp_root / "mount-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    return sdk::errno_error("mkdtemp", tmp_root.string());
  }
  if (auto mounted = sdk::mount_all(mounts, dir); !mounted.ok()) {
    ::rmdir(dir.c_str());
    return std::move(mounted).error();
  }
  return std::unique_ptr<MountedSnapshot>(new MountedSnapshot(dir));
}

MountedSnapshot::~MountedSnapshot() {
  (void)sdk::unmount(path_);
  ::rmdir(path_.c_str());
}

sdk::Result<std::string> LayerStore::apply_into(const std::string &key,
                                                const std::filesystem::path &blob,
                                                const std::string &name,
                                                const ByteProgress &progress, std::uint64_t &size) {
  auto reader = ArchiveLayerReader::open(blob, name);
  if (!reader.ok()) {
    return std::move(reader).error();
  }
  (*reader)->on_progress(progress);
  if (auto *native = sdk::query_interface<sdk::LayerApply>(*driver_)) {
    if (auto applied = native->apply(key, **reader); !applied.ok()) {
      return std::move(applied).error();
    }
  } else {
    auto mounts = driver_->mounts(key);
    if (!mounts.ok()) {
      return std::move(mounts).error();
    }
    auto mounted = MountedSnapshot::mount(*mounts, root_ / "tmp");
    if (!mounted.ok()) {
      return std::move(mounted).error();
    }
    if (auto applied = (*reader)->extract_to((*mounted)->path(), sdk::WhiteoutFormat::remove);
        !applied.ok()) {
      return std::move(applied).error();
    }
  }
  auto diff_id = (*reader)->finish();
  size = (*reader)->uncompressed_bytes();
  return diff_id;
}

sdk::Result<LayerRecord> LayerStore::apply(const std::string &parent,
                                           const std::filesystem::path &blob,
                                           const std::string &expected_diff_id,
                                           const std::string &name, const ByteProgress &progress) {
  if (!expected_diff_id.empty()) {
    if (auto existing = find(chain_id(parent, expected_diff_id))) {
      return *existing;
    }
  }
  const auto key = temporary_key();
  if (auto prepared = driver_->prepare(key, parent); !prepared.ok()) {
    return std::move(prepared).error();
  }
  std::uint64_t size = 0;
  auto diff_id = apply_into(key, blob, name, progress, size);
  if (diff_id.ok() && !expected_diff_id.empty() && *diff_id != expected_diff_id) {
    diff_id =
        sdk::make_error(sdk::Errc::invalid_argument,
                        "its content has diff ID " + *diff_id + " but the image config says " +
                            expected_diff_id + "; the image is corrupt",
                        name);
  }
  if (!diff_id.ok()) {
    (void)driver_->remove(key);
    return std::move(diff_id).error();
  }
  LayerRecord record{chain_id(parent, *diff_id), *diff_id, parent, size};
  if (auto existing = find(record.chain_id)) {
    (void)driver_->remove(key);
    return *existing;
  }
  (void)driver_->remove(record.chain_id); // a snapshot a crash left without its row
  if (auto committed = driver_->commit(record.chain_id, key); !committed.ok()) {
    (void)driver_->remove(key);
    return std::move(committed).error();
  }
  Transaction transaction(db_);
  db_.prepare("INSERT INTO layers(chain_id, diff_id, parent, size) VALUES(?,?,?,?)")
      .bind(1, record.chain_id)
      .bind(2, record.diff_id)
      .bind(3, record.parent)
      .bind(4, static_cast<std::int64_t>(record.size))
      .run();
  transaction.commit();
  return record;
}

sdk::Result<std::string> LayerStore::diff(const std::string &key, const std::string &parent,
                                          const ContentStore &content) {
  auto out = TarLayerWriter::open(content);
  if (!out.ok()) {
    return std::move(out).error();
  }
  if (auto *native = sdk::query_interface<sdk::LayerDiff>(*driver_)) {
    if (auto done = native->diff(key, **out); !done.ok()) {
      return std::move(done).error();
    }
    return (*out)->finish();
  }
  auto upper_mounts = driver_->mounts(key);
  if (!upper_mounts.ok()) {
    return std::move(upper_mounts).error();
  }
  // The parent as a view, or an empty directory for a base snapshot.
  const auto lower_key = temporary_key();
  std::vector<sdk::Mount> lower_mounts;
  std::string empty;
  if (!parent.empty()) {
    auto view = driver_->view(lower_key, parent);
    if (!view.ok()) {
      return std::move(view).error();
    }
    lower_mounts = std::move(view).value();
  } else {
    empty = (root_ / "tmp" / ("empty-" + lower_key)).string();
    std::filesystem::create_directories(empty);
    lower_mounts.push_back({"bind", empty, {"rbind", "ro"}});
  }
  sdk::Result<std::string> digest = sdk::make_error(sdk::Errc::internal, "not diffed", key);
  {
    auto lower = MountedSnapshot::mount(lower_mounts, root_ / "tmp");
    auto upper = MountedSnapshot::mount(*upper_mounts, root_ / "tmp");
    if (!lower.ok() || !upper.ok()) {
      digest = !lower.ok() ? std::move(lower).error() : std::move(upper).error();
    } else if (auto done = diff_trees((*lower)->path(), (*upper)->path(), **out); !done.ok()) {
      digest = std::move(done).error();
    } else {
      digest = (*out)->finish();
    }
  }
  if (!parent.empty()) {
    (void)driver_->remove(lower_key);
  } else {
    std::filesystem::remove(empty);
  }
  return digest;
}

sdk::Result<std::size_t> LayerStore::remove_unused() {
  std::size_t removed = 0;
  for (;;) {
    // Unused: no image names it and no layer stands on it. The query is
    // finished before the driver writes (see ImageService::mounted_path).
    std::vector<std::string> unused;
    {
      auto query =
          db_.prepare("SELECT chain_id FROM layers l WHERE "
                      "NOT EXISTS (SELECT 1 FROM image_layers i WHERE i.chain_id = l.chain_id) AND "
                      "NOT EXISTS (SELECT 1 FROM layers c WHERE c.parent = l.chain_id)");
      while (query.step()) {
        unused.push_back(query.text(0));
      }
    }
    if (unused.empty()) {
      return removed;
    }
    for (const auto &chain : unused) {
      // The row first: a crash in between leaves a snapshot without a row,
      // which collect_garbage() removes; never a row without its snapshot.
      Transaction transaction(db_);
      db_.prepare("DELETE FROM layers WHERE chain_id = ?").bind(1, chain).run();
      transaction.commit();
      if (auto gone = driver_->remove(chain);
          !gone.ok() && gone.error().code != sdk::Errc::not_found) {
        return std::move(gone).error();
      }
      ++removed;
    }
  }
}

void LayerStore::collect_garbage() {
  std::map<std::string, sdk::SnapshotInfo> snapshots;
  (void)driver_->walk([&](const sdk::SnapshotInfo &info) { snapshots.emplace(info.key, info); });
  std::set<std::string> rows;
  {
    auto query = db_.prepare("SELECT chain_id FROM layers");
    while (query.step()) {
      rows.insert(query.text(0));
    }
  }
  // Rows whose snapshot is gone (another driver's, or a store from before
  // the row-first order): without this a later load would trust them.
  for (const auto &chain : rows) {
    if (snapshots.count(chain) == 0) {
      Transaction transaction(db_);
      db_.prepare("DELETE FROM layers WHERE chain_id = ?").bind(1, chain).run();
      transaction.commit();
    }
  }
  // Temporary snapshots of applies that never finished.
  for (const auto &[key, info] : snapshots) {
    if (key.starts_with(kTemporaryPrefix)) {
      (void)driver_->remove(key);
    }
  }
  // Committed snapshots without rows, children before parents.
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto it = snapshots.begin(); it != snapshots.end();) {
      const bool orphan =
          it->second.kind == sdk::SnapshotKind::committed && rows.count(it->first) == 0;
      if (orphan && driver_->remove(it->first).ok()) {
        it = snapshots.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(root_ / "tmp", ec)) {
    if (entry.path().filename().string().starts_with("mount-")) {
      (void)sdk::unmount(entry.path());
    }
    std::filesystem::remove(entry.path(), ec);
  }
}

} // namespace berth
