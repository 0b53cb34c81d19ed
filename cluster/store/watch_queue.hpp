// The consumer side of a watch: a queue that a store's writer fills at commit
// time and a consumer drains through Watch::next(). Events are pushed, never
// polled for, so a write reaches its watchers as soon as it commits.
#pragma once

#include "cluster/store/state_store.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

namespace berth::cluster {

class WatchQueue {
public:
  // published: the store's revision, advanced only after every event up to
  // it was pushed; what progress notifications report. Without it (a remote
  // store), progress comes from the producer through progress().
  WatchQueue(KeyRange range, Revision from_revision, std::chrono::milliseconds progress_interval,
             std::shared_ptr<const std::atomic<Revision>> published);

  [[nodiscard]] const KeyRange &range() const noexcept { return range_; }
  // True if the event belongs to this watch (its range, at or after its start).
  [[nodiscard]] bool wants(const WatchEvent &event) const noexcept;

  // Producer side. A consumer that falls more than kMaxQueued events behind
  // is cut off with an error naming the revision to resume from, rather than
  // letting one stuck client grow the server without bound.
  void push(WatchEvent event);
  // History replayed when the watch starts, before it is registered: exempt
  // from the limit, or a watch from far back could never start.
  void push_replayed(WatchEvent event);
  // The producer knows every event up to revision was pushed (etcd's
  // progress notifications).
  void progress(Revision revision);
  // Ends the watch; queued events are dropped (the error says where to resume).
  void fail(StoreError error);

  StoreResult<WatchBatch> next(std::chrono::milliseconds timeout);

  static constexpr std::size_t kMaxQueued = 100000;
  static constexpr std::size_t kMaxBatch = 1000;

private:
  WatchBatch take_batch();
  [[nodiscard]] Revision resume_revision() const;

  const KeyRange range_;
  const Revision from_revision_;
  const std::chrono::milliseconds progress_interval_;
  const std::shared_ptr<const std::atomic<Revision>> published_;

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<WatchEvent> events_;
  std::optional<StoreError> error_;
  Revision delivered_ = 0;         // the last revision handed to the consumer
  Revision reported_ = 0;          // the last revision progress() reported
  std::size_t limit_ = kMaxQueued; // raised by each replayed event
  std::chrono::steady_clock::time_point last_delivery_;
};

// A Watch over a WatchQueue. The store keeps only a weak_ptr to the queue, so
// dropping the Watch is all it takes to stop watching.
class QueuedWatch final : public Watch {
public:
  explicit QueuedWatch(std::shared_ptr<WatchQueue> queue) : queue_(std::move(queue)) {}
  StoreResult<WatchBatch> next(std::chrono::milliseconds timeout) override {
    return queue_->next(timeout);
  }

private:
  std::shared_ptr<WatchQueue> queue_;
};

} // namespace berth::cluster
