// A fixed set of worker threads that run one batch of tasks at a time, with
// the calling thread joining in. Scheduling cycles last tens of
// microseconds, less than a condition-variable wake-up costs, so idle
// workers spin on an atomic for a moment before they sleep.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace berth {

class ThreadPool {
public:
  // threads includes the caller: ThreadPool(2) starts one worker.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;
  ThreadPool(ThreadPool &&) = delete;
  ThreadPool &operator=(ThreadPool &&) = delete;

  [[nodiscard]] unsigned size() const noexcept {
    return static_cast<unsigned>(workers_.size()) + 1;
  }

  // Calls body(thread_index) once on every thread (worker or caller) and
  // returns when all calls have returned. body shares work itself, typically
  // through an atomic counter.
  void run_on_all(const std::function<void(unsigned)> &body);

private:
  void work(unsigned index);
  bool wait_for_batch(std::size_t seen);
  void wait_until_done();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(unsigned)> *body_ = nullptr;
  std::atomic<std::size_t> generation_{0};
  std::atomic<unsigned> running_{0};
  std::atomic<unsigned> sleepers_{0};
  std::atomic<bool> stopping_{false};
};

} // namespace berth
