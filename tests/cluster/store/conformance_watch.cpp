// Watches, on every StateStore: order, history, compaction, progress and
// resuming after the store restarts.
#include "store_harness.hpp"

#include <thread>

namespace berth::cluster::testing {
namespace {

using namespace std::chrono_literals;

// Collects events until `count` arrived or `patience` passed without any.
std::vector<WatchEvent> collect(Watch &watch, std::size_t count,
                                std::chrono::milliseconds patience = 5s) {
  std::vector<WatchEvent> events;
  while (events.size() < count) {
    auto batch = watch.next(patience);
    if (!batch.ok()) {
      ADD_FAILURE() << "watch ended: " << batch.error().describe();
      break;
    }
    if (batch->revision == 0) {
      ADD_FAILURE() << "watch went quiet after " << events.size() << " of " << count << " events";
      break;
    }
    for (auto &event : batch->events) {
      events.push_back(std::move(event));
    }
  }
  return events;
}

void expect_consecutive(const std::vector<WatchEvent> &events, Revision first) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].kv.mod_revision, first + static_cast<Revision>(i))
        << "event " << i << " is out of order, duplicated or after a gap";
  }
}

TEST_P(StateStoreConformance, WatchDeliversTenThousandWritesInRevisionOrder) {
  constexpr int writes = 10000;
  auto watch = expect_ok(store().watch(KeyRange::prefix("/ordered/")));
  ASSERT_TRUE(watch);
  const Revision start = expect_ok(store().current_revision()) + 1;
  std::thread writer([&] {
    Revision last = expect_ok(store().create("/ordered/k", "0"));
    for (int i = 1; i < writes; ++i) {
      last = expect_ok(store().update("/ordered/k", std::to_string(i), last));
    }
  });
  const auto events = collect(*watch, writes);
  writer.join();
  ASSERT_EQ(events.size(), static_cast<std::size_t>(writes));
  expect_consecutive(events, start);
  for (int i = 1; i < writes; ++i) {
    const auto &event = events[static_cast<std::size_t>(i)];
    ASSERT_EQ(event.kv.value, std::to_string(i));
    ASSERT_TRUE(event.previous.has_value());
    ASSERT_EQ(event.previous->value, std::to_string(i - 1));
  }
}

TEST_P(StateStoreConformance, WatchFromOldRevisionReplaysHistoryWithPreviousValues) {
  const Revision created = expect_ok(store().create("/w/a", "one"));
  expect_ok(store().create("/elsewhere", "x"));
  const Revision updated = expect_ok(store().update("/w/a", "two", created));
  const Revision deleted = expect_ok(store().remove("/w/a")).revision;
  auto watch = expect_ok(
      store().watch(KeyRange::prefix("/w/"), {.from_revision = created, .progress_interval = {}}));
  ASSERT_TRUE(watch);
  expect_ok(store().create("/w/b", "live"));
  const auto events = collect(*watch, 4);
  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(events[0].type, EventType::put);
  EXPECT_EQ(events[0].kv.mod_revision, created);
  EXPECT_FALSE(events[0].previous.has_value());
  EXPECT_EQ(events[1].kv.mod_revision, updated);
  ASSERT_TRUE(events[1].previous.has_value());
  EXPECT_EQ(events[1].previous->value, "one");
  EXPECT_EQ(events[2].type, EventType::remove);
  EXPECT_EQ(events[2].kv.mod_revision, deleted);
  ASSERT_TRUE(events[2].previous.has_value());
  EXPECT_EQ(events[2].previous->value, "two");
  EXPECT_EQ(events[3].kv.key, "/w/b");
}

TEST_P(StateStoreConformance, WatchBelowCompactionFailsWithCompacted) {
  const Revision first = expect_ok(store().create("/c/a", "1"));
  const Revision second = expect_ok(store().update("/c/a", "2", first));
  const Revision third = expect_ok(store().update("/c/a", "3", second));
  expect_ok(store().compact(third));
  auto old =
      store().watch(KeyRange::prefix("/c/"), {.from_revision = first, .progress_interval = {}});
  EXPECT_TRUE(old.failed_with(StoreErrc::compacted));
  // The compaction revision itself is still watchable.
  auto watch = expect_ok(
      store().watch(KeyRange::prefix("/c/"), {.from_revision = third, .progress_interval = {}}));
  ASSERT_TRUE(watch);
  const auto events = collect(*watch, 1);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kv.value, "3");
}

TEST_P(StateStoreConformance, IdleWatchSendsProgressAtCurrentRevision) {
  auto watch = expect_ok(
      store().watch(KeyRange::prefix("/quiet/"), {.from_revision = 0, .progress_interval = 200ms}));
  ASSERT_TRUE(watch);
  const Revision elsewhere = expect_ok(store().create("/loud", "x"));
  for (;;) {
    auto batch = watch->next(3s);
    ASSERT_TRUE(batch.ok()) << batch.error().describe();
    ASSERT_NE(batch->revision, 0) << "no progress notification within 3 s";
    ASSERT_TRUE(batch->is_progress());
    if (batch->revision >= elsewhere) {
      break;
    }
  }
}

TEST_P(StateStoreConformance, WatchResumesAfterRestartWithoutLossOrDuplication) {
  constexpr int before = 300;
  constexpr int after = 300;
  const Revision start = expect_ok(store().current_revision()) + 1;
  std::vector<WatchEvent> seen;
  {
    auto watch = expect_ok(store().watch(KeyRange::prefix("/r/")));
    ASSERT_TRUE(watch);
    std::thread writer([&] {
      for (int i = 0; i < before; ++i) {
        expect_ok(store().create("/r/" + std::to_string(i), "x"));
      }
    });
    // Read only part of the stream before the store goes away mid-watch.
    seen = collect(*watch, before / 2);
    writer.join();
    restart();
    // The old watch ends (closed or unavailable), or drains what it already had.
    for (;;) {
      auto batch = watch->next(2s);
      if (!batch.ok() || batch->revision == 0) {
        break;
      }
      for (auto &event : batch->events) {
        seen.push_back(std::move(event));
      }
    }
  }
  for (int i = before; i < before + after; ++i) {
    expect_ok(store().create("/r/" + std::to_string(i), "x"));
  }
  const Revision resume = seen.empty() ? start : seen.back().kv.mod_revision + 1;
  auto watch = expect_ok(
      store().watch(KeyRange::prefix("/r/"), {.from_revision = resume, .progress_interval = {}}));
  ASSERT_TRUE(watch);
  for (auto &event : collect(*watch, before + after - seen.size())) {
    seen.push_back(std::move(event));
  }
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(before + after));
  expect_consecutive(seen, start);
}

} // namespace
} // namespace berth::cluster::testing
