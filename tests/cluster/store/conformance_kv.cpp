// Reads, writes and compare-and-swap, on every StateStore.
#include "store_harness.hpp"

#include <thread>

namespace berth::cluster::testing {
namespace {

TEST_P(StateStoreConformance, CreateThenGetReturnsValueAndRevisions) {
  const Revision created = expect_ok(store().create("/a", "one"));
  const KeyValue kv = expect_ok(store().get("/a"));
  EXPECT_EQ(kv.key, "/a");
  EXPECT_EQ(kv.value, "one");
  EXPECT_EQ(kv.create_revision, created);
  EXPECT_EQ(kv.mod_revision, created);
  EXPECT_EQ(expect_ok(store().current_revision()), created);
}

TEST_P(StateStoreConformance, CreateFailsWhenKeyExists) {
  expect_ok(store().create("/a", "one"));
  EXPECT_TRUE(store().create("/a", "two").failed_with(StoreErrc::already_exists));
  EXPECT_EQ(expect_ok(store().get("/a")).value, "one");
}

TEST_P(StateStoreConformance, UpdateWithStaleRevisionConflictsAndChangesNothing) {
  const Revision first = expect_ok(store().create("/a", "one"));
  const Revision second = expect_ok(store().update("/a", "two", first));
  EXPECT_GT(second, first);
  EXPECT_TRUE(store().update("/a", "three", first).failed_with(StoreErrc::conflict));
  const KeyValue kv = expect_ok(store().get("/a"));
  EXPECT_EQ(kv.value, "two");
  EXPECT_EQ(kv.create_revision, first);
  EXPECT_EQ(kv.mod_revision, second);
}

TEST_P(StateStoreConformance, UpdateOfAbsentKeyIsNotFound) {
  EXPECT_TRUE(store().update("/nope", "x", 1).failed_with(StoreErrc::not_found));
}

TEST_P(StateStoreConformance, RemoveChecksRevisionAndReturnsPreviousValue) {
  const Revision created = expect_ok(store().create("/a", "one"));
  EXPECT_TRUE(store().remove("/a", created + 100).failed_with(StoreErrc::conflict));
  const DeleteResult removed = expect_ok(store().remove("/a", created));
  EXPECT_GT(removed.revision, created);
  EXPECT_EQ(removed.previous.value, "one");
  EXPECT_TRUE(store().get("/a").failed_with(StoreErrc::not_found));
  EXPECT_TRUE(store().remove("/a").failed_with(StoreErrc::not_found));
  // A new incarnation starts its own create revision.
  const Revision again = expect_ok(store().create("/a", "two"));
  EXPECT_EQ(expect_ok(store().get("/a")).create_revision, again);
}

TEST_P(StateStoreConformance, GetAtOldRevisionSeesValueOfThatTime) {
  const Revision first = expect_ok(store().create("/a", "one"));
  const Revision second = expect_ok(store().update("/a", "two", first));
  expect_ok(store().remove("/a", second));
  EXPECT_EQ(expect_ok(store().get("/a", first)).value, "one");
  EXPECT_EQ(expect_ok(store().get("/a", second)).value, "two");
  EXPECT_TRUE(store().get("/a").failed_with(StoreErrc::not_found));
  EXPECT_TRUE(store().get("/a", second + 1000).failed_with(StoreErrc::future_revision));
}

TEST_P(StateStoreConformance, ListPagesDescribeOneRevision) {
  for (int i = 0; i < 5; ++i) {
    expect_ok(store().create("/pods/p" + std::to_string(i), std::to_string(i)));
  }
  expect_ok(store().create("/other", "x"));
  const KeyRange pods = KeyRange::prefix("/pods/");
  const ListResult first =
      expect_ok(store().list(pods, {.revision = 0, .limit = 2, .continue_key = {}}));
  ASSERT_EQ(first.items.size(), 2U);
  EXPECT_EQ(first.items[0].key, "/pods/p0");
  ASSERT_FALSE(first.continue_key.empty());
  // Changes after the first page must not show in the later ones.
  expect_ok(store().create("/pods/p9", "9"));
  expect_ok(store().remove("/pods/p3"));
  std::vector<std::string> keys{first.items[0].key, first.items[1].key};
  std::string continue_key = first.continue_key;
  while (!continue_key.empty()) {
    const ListResult page = expect_ok(
        store().list(pods, {.revision = first.revision, .limit = 2, .continue_key = continue_key}));
    EXPECT_EQ(page.revision, first.revision);
    for (const auto &kv : page.items) {
      keys.push_back(kv.key);
    }
    continue_key = page.continue_key;
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"/pods/p0", "/pods/p1", "/pods/p2", "/pods/p3", "/pods/p4"}));
  EXPECT_EQ(expect_ok(store().list(pods)).items.size(), 5U); // p3 gone, p9 new
  EXPECT_EQ(expect_ok(store().count(pods)), 5);
  EXPECT_EQ(expect_ok(store().count(KeyRange::prefix(""))), 6);
}

TEST_P(StateStoreConformance, CompactionFailsOldReadsAndKeepsLiveKeys) {
  const Revision first = expect_ok(store().create("/a", "one"));
  Revision last = first;
  for (int i = 0; i < 20; ++i) {
    last = expect_ok(store().update("/a", "v" + std::to_string(i), last));
  }
  expect_ok(store().create("/b", "b"));
  const Revision gone = expect_ok(store().create("/c", "c"));
  const Revision deleted = expect_ok(store().remove("/c")).revision;
  expect_ok(store().compact(deleted));
  EXPECT_TRUE(store().get("/a", first).failed_with(StoreErrc::compacted));
  EXPECT_TRUE(store()
                  .list(KeyRange::prefix("/"), {.revision = gone, .limit = 0, .continue_key = {}})
                  .failed_with(StoreErrc::compacted));
  EXPECT_EQ(expect_ok(store().get("/a")).value, "v19");
  EXPECT_EQ(expect_ok(store().get("/a", deleted)).value, "v19");
  EXPECT_EQ(expect_ok(store().list(KeyRange::prefix("/"))).items.size(), 2U);
  EXPECT_TRUE(store().compact(first).failed_with(StoreErrc::compacted));
}

TEST_P(StateStoreConformance, EightConcurrentWritersLoseNoIncrement) {
  // Each writer increments a shared counter by compare-and-swap, retrying on
  // conflict: the total shows whether any update was lost or doubled.
  constexpr int writers = 8;
  constexpr int increments = 40;
  expect_ok(store().create("/counter", "0"));
  std::vector<std::thread> threads;
  std::atomic<int> conflicts{0};
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < increments; ++i) {
        for (;;) {
          const KeyValue kv = expect_ok(store().get("/counter"));
          const auto next = std::to_string(std::stoi(kv.value) + 1);
          auto updated = store().update("/counter", next, kv.mod_revision);
          if (updated.ok()) {
            break;
          }
          ASSERT_TRUE(updated.failed_with(StoreErrc::conflict)) << updated.error().describe();
          ++conflicts;
        }
        expect_ok(store().create("/w" + std::to_string(w) + "/" + std::to_string(i), "x"));
      }
    });
  }
  for (auto &thread : threads) {
    thread.join();
  }
  EXPECT_EQ(expect_ok(store().get("/counter")).value, std::to_string(writers * increments));
  EXPECT_EQ(expect_ok(store().count(KeyRange::prefix("/w"))), writers * increments);
}

} // namespace
} // namespace berth::cluster::testing
