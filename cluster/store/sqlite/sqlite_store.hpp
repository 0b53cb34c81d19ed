// SqliteStore: the embedded StateStore, one SQLite database in the server's
// data dir (never the engine's berth.db), created 0600.
//
// Why it avoids kine's troubles:
// - One process owns the database (a lock file refuses a second one), so all
//   writers are threads of this process: they queue on a mutex and then take
//   BEGIN IMMEDIATE, and "database is locked" cannot reach a client.
//   Concurrent writes share one transaction and one fsync (group commit,
//   sqlite_store_commit.cpp), each in its own savepoint.
// - Readers use their own connections (WAL lets them read beside the writer),
//   each read in one snapshot.
// - Watch events are fanned out by the writer right after commit, in
//   revision order: no polling loop, no gap rows.
// - Compaction deletes history in short batches, letting writers in between,
//   and then checkpoints and truncates the WAL so it cannot grow unbounded.
// - Leases have real TTLs, enforced by a thread that sleeps until the next
//   deadline. After a restart every lease gets its full TTL again (as etcd
//   does on a new leader), so downtime does not expire them all at once.
//
// All public methods are thread-safe (see StateStore).
#pragma once

#include "cluster/store/state_store.hpp"
#include "cluster/store/watch_queue.hpp"

#include <berth/sdk/unique_fd.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace berth {
class Database;
}

namespace berth::cluster {

struct SqliteStoreOptions {
  // fsync every commit, as etcd does. Off, a power loss may lose the last
  // commits (never corrupt the file); a crash of the process loses nothing.
  bool sync_every_commit = true;
  // Rows deleted per compaction transaction: writers wait at most this long.
  Revision compaction_batch = 1000;
};

class SqliteStore final : public StateStore {
public:
  // Opens or creates the store at path. Fails with unavailable when another
  // process has it open or the file cannot be opened.
  static StoreResult<std::unique_ptr<SqliteStore>> open(const std::filesystem::path &path,
                                                        const SqliteStoreOptions &options = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore &) = delete;
  SqliteStore &operator=(const SqliteStore &) = delete;
  SqliteStore(SqliteStore &&) = delete;
  SqliteStore &operator=(SqliteStore &&) = delete;

  StoreResult<KeyValue> get(std::string_view key, Revision revision) override;
  StoreResult<ListResult> list(const KeyRange &range, const ListOptions &options) override;
  StoreResult<std::int64_t> count(const KeyRange &range) override;
  StoreResult<Revision> create(std::string_view key, std::string_view value,
                               LeaseId lease) override;
  StoreResult<Revision> update(std::string_view key, std::string_view value, Revision expected,
                               LeaseId lease) override;
  StoreResult<DeleteResult> remove(std::string_view key, Revision expected) override;
  StoreResult<std::unique_ptr<Watch>> watch(const KeyRange &range,
                                            const WatchOptions &options) override;
  StoreResult<Revision> current_revision() override;
  StoreResult<Done> compact(Revision revision) override;
  StoreResult<Lease> grant_lease(std::int64_t ttl_seconds) override;
  StoreResult<Lease> keep_alive(LeaseId lease) override;
  StoreResult<Done> revoke_lease(LeaseId lease) override;

  [[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }
  // Write transactions committed so far: with concurrent writers, fewer than
  // the writes (for metrics, and the test of group commit).
  [[nodiscard]] std::int64_t commits() const noexcept { return commits_.load(); }

private:
  using Clock = std::chrono::steady_clock;
  using Events = std::vector<WatchEvent>;

  SqliteStore(std::filesystem::path path, const SqliteStoreOptions &options, sdk::UniqueFd lock);
  void open_database();

  // Runs body(db) in one read snapshot on a pooled reader connection.
  template <class T, class Body> StoreResult<T> read(Body &&body) {
    std::optional<StoreResult<T>> result;
    auto failed = run_read([&](Database &db) { result.emplace(body(db)); });
    return failed ? StoreResult<T>(std::move(*failed)) : std::move(*result);
  }
  // Runs body(db, events) in one write transaction; commits if it succeeds,
  // then hands the events to watchers and publishes the new revision.
  template <class T, class Body> StoreResult<T> write(Body &&body) {
    std::optional<StoreResult<T>> result;
    auto failed = run_write([&](Database &db, Events &events) {
      result.emplace(body(db, events));
      return result->ok();
    });
    return failed ? StoreResult<T>(std::move(*failed)) : std::move(*result);
  }
  std::optional<StoreError> run_read(const std::function<void(Database &)> &body);
  std::optional<StoreError> run_write(const std::function<bool(Database &, Events &)> &body);
  StoreError database_error(const std::exception &error) const;

  std::unique_ptr<Database> take_reader();
  void return_reader(std::unique_ptr<Database> reader);
  void fan_out(const Events &events);

  StoreResult<Done> compact_history(Revision from, Revision revision);
  void checkpoint_wal();

  void load_leases();
  void run_lease_expiry();
  void expire_lease(LeaseId lease);
  StoreResult<Done> check_lease(Database &db, LeaseId lease) const;

  const std::filesystem::path path_;
  const SqliteStoreOptions options_;
  const sdk::UniqueFd lock_;

  // Group commit: writers queue here; whoever finds no commit under way
  // runs everything queued in one transaction (one fsync), so concurrent
  // writers share the disk's latency instead of waiting in line for it.
  struct PendingWrite;
  void commit_batch(const std::vector<PendingWrite *> &batch);
  std::mutex queue_mutex_;
  std::condition_variable batch_done_;
  std::vector<PendingWrite *> queued_;
  bool committing_ = false;
  std::atomic<std::int64_t> commits_{0};

  std::mutex write_mutex_; // one writer at a time; also guards watchers_
  std::unique_ptr<Database> writer_;
  std::vector<std::weak_ptr<WatchQueue>> watchers_;
  // The revision up to which every event was handed to watchers.
  std::shared_ptr<std::atomic<Revision>> published_;

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Database>> idle_readers_;

  std::mutex lease_mutex_; // taken after write_mutex_ when both are needed
  std::condition_variable lease_changed_;
  struct LeaseDeadline {
    std::int64_t ttl_seconds = 0;
    Clock::time_point deadline;
  };
  std::map<LeaseId, LeaseDeadline> leases_;
  bool stopping_ = false;
  std::thread lease_thread_;
};

} // namespace berth::cluster
