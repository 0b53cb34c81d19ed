// What only the SQLite store promises: its file, its lock, its WAL and the
// speed of reads over a long history.
#include "cluster/store/sqlite/sqlite_store.hpp"
#include "store_harness.hpp"

#include "support/temp_dir.hpp"

#include <sys/stat.h>

#include <thread>

namespace berth::cluster::testing {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<StateStore> open_store(const std::filesystem::path &path,
                                       const SqliteStoreOptions &options = {}) {
  auto opened = SqliteStore::open(path, options);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.error().describe();
    return nullptr;
  }
  return std::move(opened).value();
}

// For tests that write thousands of revisions: an fsync each would dominate.
SqliteStoreOptions unsynced() {
  SqliteStoreOptions options;
  options.sync_every_commit = false;
  return options;
}

TEST(SqliteStore, DatabaseFileIsReadableByOwnerOnly) {
  const berth::testing::TempDir dir("berth-cluster-store");
  const auto path = dir.path() / "cluster.db";
  auto store = open_store(path);
  ASSERT_TRUE(store);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
}

TEST(SqliteStore, SecondOpenOfOneFileIsRefusedWithReason) {
  const berth::testing::TempDir dir("berth-cluster-store");
  auto first = open_store(dir.path() / "cluster.db");
  ASSERT_TRUE(first);
  auto second = SqliteStore::open(dir.path() / "cluster.db");
  ASSERT_TRUE(second.failed_with(StoreErrc::unavailable));
  EXPECT_NE(second.error().describe().find("another process"), std::string::npos)
      << second.error().describe();
}

TEST(SqliteStore, SyncedWritesAndLeasesSurviveReopen) {
  const berth::testing::TempDir dir("berth-cluster-store");
  const auto path = dir.path() / "cluster.db";
  Revision written = 0;
  LeaseId lease = 0;
  {
    auto store = open_store(path);
    ASSERT_TRUE(store);
    lease = expect_ok(store->grant_lease(60)).id;
    written = expect_ok(store->create("/a", "kept", lease));
  }
  auto store = open_store(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(expect_ok(store->current_revision()), written);
  EXPECT_EQ(expect_ok(store->get("/a")).value, "kept");
  EXPECT_EQ(expect_ok(store->keep_alive(lease)).ttl_seconds, 60);
  // Revisions continue; they are never reused.
  EXPECT_GT(expect_ok(store->create("/b", "x")), written);
}

TEST(SqliteStore, CompactionLeavesTheWalEmpty) {
  const berth::testing::TempDir dir("berth-cluster-store");
  const auto path = dir.path() / "cluster.db";
  auto store = open_store(path, unsynced());
  ASSERT_TRUE(store);
  Revision last = expect_ok(store->create("/k", std::string(1000, 'x')));
  for (int i = 0; i < 2000; ++i) {
    last = expect_ok(store->update("/k", std::string(1000, 'a' + i % 26), last));
  }
  ASSERT_GT(std::filesystem::file_size(path.string() + "-wal"), 0U);
  expect_ok(store->compact(last));
  EXPECT_EQ(std::filesystem::file_size(path.string() + "-wal"), 0U);
  EXPECT_EQ(expect_ok(store->get("/k")).mod_revision, last);
}

TEST(SqliteStore, ReadsStayFastWithThousandsOfRevisionsOfOneKey) {
  // A node's lease key is rewritten every few seconds for months: reads of
  // it and lists beside it must not scan its history.
  const berth::testing::TempDir dir("berth-cluster-store");
  auto store = open_store(dir.path() / "cluster.db", unsynced());
  ASSERT_TRUE(store);
  for (int i = 0; i < 100; ++i) {
    expect_ok(store->create("/nodes/n" + std::to_string(i), "x"));
  }
  Revision last = expect_ok(store->create("/leases/hot", "0"));
  const Revision early = last;
  for (int i = 0; i < 5000; ++i) {
    last = expect_ok(store->update("/leases/hot", std::to_string(i), last));
  }
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    expect_ok(store->get("/leases/hot"));
    expect_ok(store->get("/leases/hot", early));
    expect_ok(store->list(KeyRange::prefix("/")));
  }
  const auto took = std::chrono::steady_clock::now() - start;
  // Measured about 0.1 ms per round; a history scan would be ~100x that.
  EXPECT_LT(took, 2s) << "200 rounds of get/get-at-revision/list took "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
}

TEST(SqliteStore, CompactingWhileWritingAndReadingNeverFailsAClient) {
  // kine's "database is locked" came from writers and compaction colliding;
  // here every call must succeed while all three run at once.
  const berth::testing::TempDir dir("berth-cluster-store");
  auto store = open_store(dir.path() / "cluster.db", unsynced());
  ASSERT_TRUE(store);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  auto count_failure = [&](bool ok) {
    if (!ok) {
      ++failures;
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      const std::string key = "/busy/" + std::to_string(w);
      Revision last = expect_ok(store->create(key, "0"));
      for (int i = 0; i < 500; ++i) {
        auto updated = store->update(key, std::to_string(i), last);
        count_failure(updated.ok());
        last = updated.ok() ? *updated : last;
      }
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      count_failure(store->list(KeyRange::prefix("/busy/")).ok());
    }
  });
  threads.emplace_back([&] {
    while (!done) {
      auto now = store->current_revision();
      count_failure(now.ok() && (*now == 0 || store->compact(*now).ok()));
    }
  });
  for (std::size_t i = 0; i < 4; ++i) {
    threads[i].join();
  }
  done = true;
  for (std::size_t i = 4; i < threads.size(); ++i) {
    threads[i].join();
  }
  EXPECT_EQ(failures, 0);
}

TEST(SqliteStore, ConcurrentWritersShareCommits) {
  // Group commit: writes that arrive while a commit is under way join the
  // next one, so eight writers need fewer commits (and fsyncs) than writes.
  // (Measured on a disk with ~3 ms fsyncs: 8 writers ~15x one writer's rate.)
  const berth::testing::TempDir dir("berth-cluster-store");
  auto opened = SqliteStore::open(dir.path() / "cluster.db"); // the synced default
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  SqliteStore &store = **opened;
  constexpr int kWriters = 8;
  constexpr int kWrites = 100;
  const std::int64_t before = store.commits();
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kWrites; ++i) {
        const std::string key = "/par/" + std::to_string(w) + "/" + std::to_string(i);
        expect_ok(store.create(key, "x", 0));
      }
    });
  }
  for (auto &thread : threads) {
    thread.join();
  }
  EXPECT_EQ(expect_ok(store.count(KeyRange::prefix("/par/"))), kWriters * kWrites);
  EXPECT_LT(store.commits() - before, kWriters * kWrites);
}

} // namespace
} // namespace berth::cluster::testing
