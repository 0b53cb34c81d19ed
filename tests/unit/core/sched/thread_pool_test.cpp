#include "sched/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace berth {
namespace {

TEST(ThreadPool, EveryThreadRunsEveryBatchAndWorkIsShared) {
  ThreadPool pool(4); // more threads than cores: workers get descheduled
  for (int batch = 0; batch < 2000; ++batch) {
    std::atomic<int> next{0};
    std::atomic<int> done{0};
    std::atomic<unsigned> visits{0};
    pool.run_on_all([&](unsigned) {
      visits.fetch_add(1);
      for (int i = next.fetch_add(1); i < 100; i = next.fetch_add(1)) {
        done.fetch_add(1);
      }
    });
    ASSERT_EQ(done.load(), 100) << "batch " << batch;
    ASSERT_EQ(visits.load(), pool.size());
  }
}

TEST(ThreadPool, WorkersThatFellAsleepWakeForTheNextBatch) {
  ThreadPool pool(2);
  std::atomic<int> runs{0};
  pool.run_on_all([&](unsigned) { runs.fetch_add(1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20)); // past the spin
  pool.run_on_all([&](unsigned) { runs.fetch_add(1); });
  EXPECT_EQ(runs.load(), 4);
}

TEST(ThreadPool, CallerExceptionWaitsForWorkersThenPropagates) {
  ThreadPool pool(2);
  std::atomic<int> workers{0};
  EXPECT_THROW(pool.run_on_all([&](unsigned index) {
    if (index == 0) {
      throw std::runtime_error("caller failed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    workers.fetch_add(1);
  }),
               std::runtime_error);
  EXPECT_EQ(workers.load(), 1); // the worker finished before run_on_all returned
}

TEST(ThreadPool, DestroyedWhileWorkersSpinOrSleep) {
  for (int i = 0; i < 50; ++i) {
    ThreadPool pool(3);
    pool.run_on_all([](unsigned) {});
  } // each destructor must join, whatever the workers were doing
  SUCCEED();
}

} // namespace
} // namespace berth
