// Snapshot records of a directory-based driver, kept in the host's key-value
// store, and the lock that serialises changes across threads and processes.
#pragma once

#include <berth/sdk/host.hpp>
#include <berth/sdk/storage.hpp>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace berth::storage {

struct SnapshotRecord {
  std::string key;
  std::string id; // directory name under snapshots/
  std::string parent;
  sdk::SnapshotKind kind = sdk::SnapshotKind::active;
  std::string link;                // overlay2: short name under l/
  std::vector<std::string> lowers; // overlay2: links of the parent chain, nearest first

  [[nodiscard]] sdk::SnapshotInfo info() const { return {key, parent, kind}; }
};

class SnapshotTable {
public:
  // root holds snapshots/<id>/ and the lock file.
  SnapshotTable(sdk::HostServices &host, std::filesystem::path root);
  ~SnapshotTable();
  SnapshotTable(const SnapshotTable &) = delete;
  SnapshotTable &operator=(const SnapshotTable &) = delete;
  SnapshotTable(SnapshotTable &&) = delete;
  SnapshotTable &operator=(SnapshotTable &&) = delete;

  // Held for every change: a mutex for this process's threads, flock for
  // other processes. The first lock of an instance (taken when it is made)
  // removes what a crashed change left behind, since no change can be in
  // progress while it is held.
  class Lock {
  public:
    explicit Lock(SnapshotTable &table);
    ~Lock();
    Lock(const Lock &) = delete;
    Lock &operator=(const Lock &) = delete;
    Lock(Lock &&) = delete;
    Lock &operator=(Lock &&) = delete;

  private:
    std::unique_lock<std::mutex> guard_;
    int fd_ = -1;
  };

  sdk::Result<std::optional<SnapshotRecord>> find(const std::string &key);
  // The record, or Errc::not_found naming the key.
  sdk::Result<SnapshotRecord> get(const std::string &key);
  sdk::Result<void> put(const SnapshotRecord &record);
  sdk::Result<void> erase(const std::string &key);
  sdk::Result<std::vector<SnapshotRecord>> list();
  sdk::Result<bool> has_children(const std::string &key);
  // True if another record than key shares id (a commit interrupted midway).
  sdk::Result<bool> shared(const SnapshotRecord &record);

  [[nodiscard]] std::filesystem::path dir(const std::string &id) const {
    return root_ / "snapshots" / id;
  }
  [[nodiscard]] const std::filesystem::path &root() const noexcept { return root_; }
  // A fresh random directory name.
  static std::string new_id();

  // Prepares the checks shared by prepare() and view(): key is free and
  // parent, when given, is committed. Returns the parent's record.
  sdk::Result<std::optional<SnapshotRecord>> check_new(const std::string &key,
                                                       const std::string &parent);

private:
  sdk::Result<void> collect_garbage();

  sdk::HostServices &host_;
  std::filesystem::path root_;
  std::mutex mutex_;
  int lock_fd_ = -1;
  bool collected_ = false;
};

} // namespace berth::storage
