#include "cluster/store/watch_queue.hpp"

#include <string>

namespace berth::cluster {

WatchQueue::WatchQueue(KeyRange range, Revision from_revision,
                       std::chrono::milliseconds progress_interval,
                       std::shared_ptr<const std::atomic<Revision>> published)
    : range_(std::move(range)), from_revision_(from_revision),
      progress_interval_(progress_interval), published_(std::move(published)),
      delivered_(from_revision - 1), last_delivery_(std::chrono::steady_clock::now()) {}

bool WatchQueue::wants(const WatchEvent &event) const noexcept {
  return event.kv.mod_revision >= from_revision_ && range_.contains(event.kv.key);
}

Revision WatchQueue::resume_revision() const {
  return (events_.empty() ? delivered_ : events_.front().kv.mod_revision - 1) + 1;
}

void WatchQueue::push(WatchEvent event) {
  {
    const std::lock_guard lock(mutex_);
    if (error_) {
      return;
    }
    if (events_.size() >= limit_) {
      error_ = store_error(StoreErrc::unavailable,
                           "watch fell " + std::to_string(events_.size()) +
                               " events behind; watch again from revision " +
                               std::to_string(resume_revision()),
                           range_.start);
      events_.clear();
    } else {
      events_.push_back(std::move(event));
    }
  }
  ready_.notify_one();
}

void WatchQueue::progress(Revision revision) {
  {
    const std::lock_guard lock(mutex_);
    reported_ = std::max(reported_, revision);
  }
  ready_.notify_one();
}

void WatchQueue::push_replayed(WatchEvent event) {
  const std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
  ++limit_;
}

void WatchQueue::fail(StoreError error) {
  {
    const std::lock_guard lock(mutex_);
    if (!error_) {
      error.message += "; watch again from revision " + std::to_string(resume_revision());
      error_ = std::move(error);
      events_.clear();
    }
  }
  ready_.notify_all();
}

WatchBatch WatchQueue::take_batch() {
  WatchBatch batch;
  const std::size_t count = std::min(events_.size(), kMaxBatch);
  batch.events.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    batch.events.push_back(std::move(events_.front()));
    events_.pop_front();
  }
  batch.revision = batch.events.back().kv.mod_revision;
  delivered_ = batch.revision;
  return batch;
}

StoreResult<WatchBatch> WatchQueue::next(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto give_up = Clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (error_) {
      return *error_;
    }
    if (!events_.empty()) {
      last_delivery_ = Clock::now();
      return take_batch();
    }
    const bool progress_enabled = progress_interval_.count() > 0;
    const auto progress_due = last_delivery_ + progress_interval_;
    // Read under the lock, after seeing the queue empty: every event up to
    // the published revision was pushed before it was published, so none in
    // our range is missing below it.
    const Revision known = published_ ? published_->load(std::memory_order_acquire) : reported_;
    if (progress_enabled && Clock::now() >= progress_due && known > 0) {
      last_delivery_ = Clock::now();
      delivered_ = std::max(delivered_, known);
      return WatchBatch{{}, delivered_};
    }
    if (Clock::now() >= give_up) {
      return WatchBatch{};
    }
    // Without a known revision, only progress() or an event can help.
    const bool can_report = progress_enabled && known > 0;
    const auto wake = can_report ? std::min(give_up, progress_due) : give_up;
    ready_.wait_until(lock, wake);
  }
}

} // namespace berth::cluster
