#include "cluster/store/sqlite/sqlite_store.hpp"

#include "cluster/store/sqlite/revision_log.hpp"

#include "store/sqlite.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>

namespace berth::cluster {
namespace {

std::string rev(Revision revision) {
  return std::to_string(revision);
}

// Resolves the revision a read asks for (0: now) against the snapshot's.
StoreResult<Revision> readable_revision(Database &db, Revision asked) {
  const Revision current = revision_log::current_revision(db);
  if (asked == 0) {
    return current;
  }
  if (asked > current) {
    return store_error(StoreErrc::future_revision,
                       "revision " + rev(asked) + " is newer than the store's " + rev(current));
  }
  if (asked < revision_log::compacted_revision(db)) {
    return store_error(StoreErrc::compacted,
                       "revision " + rev(asked) + " was compacted (history starts at " +
                           rev(revision_log::compacted_revision(db)) + "); list again");
  }
  return asked;
}

StoreResult<Done> check_key(std::string_view key) {
  if (key.empty()) {
    return store_error(StoreErrc::invalid_argument, "a key may not be empty");
  }
  return Done{};
}

} // namespace

StoreResult<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path &path,
                                                            const SqliteStoreOptions &options) {
  // Fan-out at commit only sees this process's writes, so a second process
  // writing the same file would leave our watchers blind: refuse it.
  const std::string lock_path = path.string() + ".lock";
  sdk::UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.get() < 0) {
    return store_error(StoreErrc::unavailable,
                       std::string("cannot open lock file: ") + std::strerror(errno) +
                           "; check that the data dir exists and is writable",
                       lock_path);
  }
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return store_error(StoreErrc::unavailable,
                       "another process has this cluster store open; stop it or use another "
                       "data dir",
                       path.string());
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, options, std::move(lock)));
  try {
    store->open_database();
  } catch (const std::exception &e) {
    return store->database_error(e);
  }
  store->lease_thread_ = std::thread([raw = store.get()] { raw->run_lease_expiry(); });
  return store;
}

SqliteStore::SqliteStore(std::filesystem::path path, const SqliteStoreOptions &options,
                         sdk::UniqueFd lock)
    : path_(std::move(path)), options_(options), lock_(std::move(lock)),
      published_(std::make_shared<std::atomic<Revision>>(0)) {}

void SqliteStore::open_database() {
  writer_ = std::make_unique<Database>(path_);
  if (!options_.sync_every_commit) {
    writer_->exec("PRAGMA synchronous=NORMAL");
  }
  revision_log::create_schema(*writer_);
  published_->store(revision_log::current_revision(*writer_));
  load_leases();
}

SqliteStore::~SqliteStore() {
  {
    const std::lock_guard lock(lease_mutex_);
    stopping_ = true;
  }
  lease_changed_.notify_all();
  if (lease_thread_.joinable()) {
    lease_thread_.join();
  }
  const std::lock_guard lock(write_mutex_);
  for (const auto &weak : watchers_) {
    if (auto queue = weak.lock()) {
      queue->fail(store_error(StoreErrc::closed, "the cluster store was closed", path_.string()));
    }
  }
}

StoreError SqliteStore::database_error(const std::exception &error) const {
  return store_error(StoreErrc::unavailable,
                     std::string(error.what()) +
                         "; check that the disk is writable and not full, then retry",
                     path_.string());
}

std::unique_ptr<Database> SqliteStore::take_reader() {
  {
    const std::lock_guard lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      auto reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
  }
  // One connection per concurrent reader: WAL readers never wait for the
  // writer or for each other.
  return std::make_unique<Database>(path_);
}

void SqliteStore::return_reader(std::unique_ptr<Database> reader) {
  const std::lock_guard lock(readers_mutex_);
  idle_readers_.push_back(std::move(reader));
}

std::optional<StoreError> SqliteStore::run_read(const std::function<void(Database &)> &body) {
  try {
    auto reader = take_reader();
    reader->exec("BEGIN");
    try {
      body(*reader);
    } catch (...) {
      reader->exec("ROLLBACK");
      throw;
    }
    reader->exec("COMMIT");
    return_reader(std::move(reader));
    return std::nullopt;
  } catch (const std::exception &e) {
    return database_error(e);
  }
}

StoreResult<KeyValue> SqliteStore::get(std::string_view key, Revision revision) {
  return read<KeyValue>([&](Database &db) -> StoreResult<KeyValue> {
    auto at = readable_revision(db, revision);
    if (!at) {
      return std::move(at).error();
    }
    auto row = revision_log::row_at(db, key, *at);
    if (!row || row->deleted) {
      return store_error(StoreErrc::not_found, "no such key at revision " + rev(*at),
                         std::string(key));
    }
    return std::move(row->kv);
  });
}

StoreResult<ListResult> SqliteStore::list(const KeyRange &range, const ListOptions &options) {
  const std::string &start = options.continue_key.empty() ? range.start : options.continue_key;
  if (!options.continue_key.empty() && !range.contains(options.continue_key)) {
    return store_error(StoreErrc::invalid_argument,
                       "the continue key is outside the listed range; start the list again",
                       range.start);
  }
  return read<ListResult>([&](Database &db) -> StoreResult<ListResult> {
    auto at = readable_revision(db, options.revision);
    if (!at) {
      return std::move(at).error();
    }
    // One more than asked tells whether another page exists.
    const std::int64_t fetch = options.limit > 0 ? options.limit + 1 : 0;
    ListResult result;
    result.revision = *at;
    result.items = *at == revision_log::current_revision(db)
                       ? revision_log::list_live(db, start, range.end, fetch)
                       : revision_log::list_at(db, start, range.end, *at, fetch);
    if (options.limit > 0 && static_cast<std::int64_t>(result.items.size()) > options.limit) {
      result.items.pop_back();
      result.continue_key = result.items.back().key + '\0';
    }
    return result;
  });
}

StoreResult<std::int64_t> SqliteStore::count(const KeyRange &range) {
  return read<std::int64_t>([&](Database &db) -> StoreResult<std::int64_t> {
    return revision_log::count_live(db, range);
  });
}

StoreResult<Revision> SqliteStore::create(std::string_view key, std::string_view value,
                                          LeaseId lease) {
  if (auto valid = check_key(key); !valid) {
    return std::move(valid).error();
  }
  return write<Revision>([&](Database &db, Events &events) -> StoreResult<Revision> {
    if (auto existing = revision_log::live(db, key)) {
      return store_error(StoreErrc::already_exists,
                         "key exists (mod revision " + rev(existing->mod_revision) +
                             "); update it instead",
                         std::string(key));
    }
    if (auto valid = check_lease(db, lease); !valid) {
      return std::move(valid).error();
    }
    events.push_back(revision_log::append_put(db, key, value, lease, std::nullopt));
    return events.back().kv.mod_revision;
  });
}

StoreResult<Revision> SqliteStore::update(std::string_view key, std::string_view value,
                                          Revision expected, LeaseId lease) {
  return write<Revision>([&](Database &db, Events &events) -> StoreResult<Revision> {
    auto existing = revision_log::live(db, key);
    if (!existing) {
      return store_error(StoreErrc::not_found, "no such key; create it first", std::string(key));
    }
    if (existing->mod_revision != expected) {
      return store_error(StoreErrc::conflict,
                         "key is at mod revision " + rev(existing->mod_revision) + ", not " +
                             rev(expected) + "; read it again and retry",
                         std::string(key));
    }
    if (auto valid = check_lease(db, lease); !valid) {
      return std::move(valid).error();
    }
    events.push_back(revision_log::append_put(db, key, value, lease, existing));
    return events.back().kv.mod_revision;
  });
}

StoreResult<DeleteResult> SqliteStore::remove(std::string_view key, Revision expected) {
  return write<DeleteResult>([&](Database &db, Events &events) -> StoreResult<DeleteResult> {
    auto existing = revision_log::live(db, key);
    if (!existing) {
      return store_error(StoreErrc::not_found, "no such key", std::string(key));
    }
    if (expected != 0 && existing->mod_revision != expected) {
      return store_error(StoreErrc::conflict,
                         "key is at mod revision " + rev(existing->mod_revision) + ", not " +
                             rev(expected) + "; read it again and retry",
                         std::string(key));
    }
    events.push_back(revision_log::append_delete(db, *existing));
    return DeleteResult{events.back().kv.mod_revision, std::move(*existing)};
  });
}

StoreResult<std::unique_ptr<Watch>> SqliteStore::watch(const KeyRange &range,
                                                       const WatchOptions &options) {
  // Under the write lock, so that no commit falls between the history read
  // here and the registration: the watch sees every revision exactly once.
  const std::lock_guard lock(write_mutex_);
  try {
    const Revision current = revision_log::current_revision(*writer_);
    const Revision compacted = revision_log::compacted_revision(*writer_);
    const Revision from = options.from_revision == 0 ? current + 1 : options.from_revision;
    if (from < compacted) {
      return store_error(StoreErrc::compacted,
                         "revision " + rev(from) + " was compacted (history starts at " +
                             rev(compacted) + "); list again and watch from its revision",
                         range.start);
    }
    auto queue = std::make_shared<WatchQueue>(range, from, options.progress_interval, published_);
    for (auto &event : revision_log::events_since(*writer_, range, from)) {
      queue->push_replayed(std::move(event));
    }
    watchers_.push_back(queue);
    return std::unique_ptr<Watch>(std::make_unique<QueuedWatch>(std::move(queue)));
  } catch (const std::exception &e) {
    return database_error(e);
  }
}

StoreResult<Revision> SqliteStore::current_revision() {
  return published_->load(std::memory_order_acquire);
}

StoreResult<Done> SqliteStore::compact(Revision revision) {
  Revision from = 0;
  {
    const std::lock_guard lock(write_mutex_);
    try {
      const Revision current = revision_log::current_revision(*writer_);
      const Revision compacted = revision_log::compacted_revision(*writer_);
      if (revision > current) {
        return store_error(StoreErrc::future_revision, "cannot compact at revision " +
                                                           rev(revision) + ": the store is at " +
                                                           rev(current));
      }
      if (revision < compacted) {
        return store_error(StoreErrc::compacted, "revision " + rev(revision) +
                                                     " is already compacted (at " + rev(compacted) +
                                                     ")");
      }
      // Recorded first: from here on reads below it fail cleanly instead of
      // seeing history disappear under them.
      Transaction transaction(*writer_);
      revision_log::set_compacted_revision(*writer_, revision);
      transaction.commit();
      from = compacted;
    } catch (const std::exception &e) {
      return database_error(e);
    }
  }
  return compact_history(from, revision);
}

StoreResult<Done> SqliteStore::compact_history(Revision from, Revision revision) {
  // Short transactions with the lock released in between: a writer waits for
  // one batch, never for the whole compaction (kine's lesson).
  while (from < revision) {
    const std::lock_guard lock(write_mutex_);
    try {
      Transaction transaction(*writer_);
      from = revision_log::compact_batch(*writer_, from, revision, options_.compaction_batch);
      transaction.commit();
    } catch (const std::exception &e) {
      return database_error(e);
    }
  }
  checkpoint_wal();
  return Done{};
}

void SqliteStore::checkpoint_wal() {
  // TRUNCATE resets the WAL to zero bytes; without it a WAL only ever grows
  // to its largest burst (k3s#11269). It waits for readers (busy timeout); if
  // one holds on, the next compaction tries again.
  const std::lock_guard lock(write_mutex_);
  try {
    writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const SqliteError &) { // NOLINT(bugprone-empty-catch): retried next compaction
  }
}

} // namespace berth::cluster
