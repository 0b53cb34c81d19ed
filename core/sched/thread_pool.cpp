#include "sched/thread_pool.hpp"

#include <algorithm>
#include <chrono>

namespace berth {
namespace {

// How long an idle thread spins before it sleeps: longer than the gap
// between two scheduling cycles, short enough that an idle engine sleeps
// almost at once. Bounded by time, not by a count of pause instructions,
// whose cost ranges from about 5 to 40 ns across CPUs. DESIGN.md rules out
// polling loops in the hot path; this bounded spin is the measured exception
// (with a condition variable alone two threads were slower than one).
constexpr auto kSpinLimit = std::chrono::microseconds(100);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until ready() or kSpinLimit passes; true if ready.
template <class Ready> bool spin_until(Ready &&ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinLimit;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) {
        return true;
      }
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
  }
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
  // Workers use body until they check in, so wait for them even if the
  // caller's share throws.
  try {
    body(0);
  } catch (...) {
    wait_until_done();
    body_ = nullptr;
    throw;
  }
  wait_until_done();
  body_ = nullptr;
}

void ThreadPool::wait_until_done() {
  if (spin_until([this] { return running_.load(std::memory_order_acquire) == 0; })) {
    return;
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return running_.load() == 0; });
}

// True when a new batch arrived, false when the pool is stopping.
bool ThreadPool::wait_for_batch(std::size_t seen) {
  if (spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
    return !stopping_.load();
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
