#include "sched/thread_pool.hpp"

#include <algorithm>

namespace berth {
namespace {

// About 100 microseconds of spinning: longer than the gap between two
// scheduling cycles, shorter than anything a person would notice on an
// idle engine.
constexpr int kSpins = 20000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

} // namespace

ThreadPool::ThreadPool(unsigned threads) {
  for (unsigned i = 1; i < std::max(threads, 1U); ++i) {
    workers_.emplace_back([this, i] { work(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto &worker : workers_) {
    worker.join();
  }
}

void ThreadPool::run_on_all(const std::function<void(unsigned)> &body) {
  if (workers_.empty()) {
    body(0);
    return;
  }
  body_ = &body;
  running_.store(static_cast<unsigned>(workers_.size()));
  // Sequentially consistent on both sides: either a worker going to sleep
  // sees the new generation, or this thread sees it sleeping and wakes it.
  generation_.fetch_add(1);
  if (sleepers_.load() > 0) {
    std::lock_guard lock(mutex_);
    wake_.notify_all();
  }
  body(0);
  wait_until_done();
  body_ = nullptr;
}

void ThreadPool::wait_until_done() {
  for (int i = 0; i < kSpins; ++i) {
    if (running_.load(std::memory_order_acquire) == 0) {
      return;
    }
    cpu_relax();
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return running_.load() == 0; });
}

// True when a new batch arrived, false when the pool is stopping.
bool ThreadPool::wait_for_batch(std::size_t seen) {
  for (int i = 0; i < kSpins; ++i) {
    if (generation_.load(std::memory_order_acquire) != seen) {
      return !stopping_.load();
    }
    cpu_relax();
  }
  std::unique_lock lock(mutex_);
  sleepers_.fetch_add(1);
  wake_.wait(lock, [&] { return generation_.load() != seen; });
  sleepers_.fetch_sub(1);
  return !stopping_.load();
}

void ThreadPool::work(unsigned index) {
  std::size_t seen = 0;
  while (wait_for_batch(seen)) {
    seen = generation_.load();
    (*body_)(index);
    if (running_.fetch_sub(1) == 1) {
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

} // namespace berth
