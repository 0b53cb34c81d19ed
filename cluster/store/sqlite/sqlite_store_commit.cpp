// SqliteStore's write path: group commit and the fan-out of watch events.
//
// With an fsync per commit a disk manages a few hundred commits a second,
// one writer at a time. Writers here queue; the first to find no commit
// under way becomes the leader, takes everything queued and runs each write
// in its own savepoint of one transaction, so a write that fails (a CAS
// conflict, an exception) rolls back alone. One commit, one fsync, for the
// batch; each writer then gets its own result. Order is the queue's, so
// revisions and watch events stay in commit order.
#include "cluster/store/sqlite/sqlite_store.hpp"

#include "store/sqlite.hpp"

namespace berth::cluster {

struct SqliteStore::PendingWrite {
  const std::function<bool(Database &, Events &)> *body = nullptr;
  std::optional<StoreError> error;
  bool done = false;
};

std::optional<StoreError>
SqliteStore::run_write(const std::function<bool(Database &, Events &)> &body) {
  PendingWrite write{&body, std::nullopt, false};
  std::unique_lock lock(queue_mutex_);
  queued_.push_back(&write);
  while (!write.done) {
    if (committing_) {
      batch_done_.wait(lock);
      continue;
    }
    committing_ = true;
    std::vector<PendingWrite *> batch;
    batch.swap(queued_);
    lock.unlock();
    commit_batch(batch);
    lock.lock();
    for (PendingWrite *finished : batch) {
      finished->done = true;
    }
    committing_ = false;
    batch_done_.notify_all();
  }
  return write.error;
}

void SqliteStore::commit_batch(const std::vector<PendingWrite *> &batch) {
  const std::lock_guard lock(write_mutex_);
  Events events;
  try {
    Transaction transaction(*writer_);
    for (PendingWrite *write : batch) {
      const std::size_t mark = events.size();
      writer_->exec("SAVEPOINT write");
      bool keep = false;
      try {
        keep = (*write->body)(*writer_, events);
      } catch (const std::exception &e) {
        write->error = database_error(e);
      }
      if (!keep) {
        // The write's own error (already in its result) or an exception.
        events.resize(mark);
        writer_->exec("ROLLBACK TO write");
      }
      writer_->exec("RELEASE write");
    }
    transaction.commit();
    ++commits_;
  } catch (const std::exception &e) {
    for (PendingWrite *write : batch) {
      write->error = database_error(e);
    }
    return;
  }
  fan_out(events);
  if (!events.empty()) {
    published_->store(events.back().kv.mod_revision, std::memory_order_release);
  }
}

void SqliteStore::fan_out(const Events &events) {
  std::erase_if(watchers_, [](const auto &weak) { return weak.expired(); });
  for (const auto &weak : watchers_) {
    auto queue = weak.lock();
    if (!queue) {
      continue;
    }
    for (const auto &event : events) {
      if (queue->wants(event)) {
        queue->push(event);
      }
    }
  }
}

} // namespace berth::cluster
