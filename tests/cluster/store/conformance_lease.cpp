// Leases with real TTLs, on every StateStore. TTLs are 1 s (etcd may round
// up to its minimum of 2 s), so waits allow a few seconds.
#include "store_harness.hpp"

#include <thread>

namespace berth::cluster::testing {
namespace {

using namespace std::chrono_literals;

// Waits for the key's delete event; returns how long it took.
std::optional<std::chrono::milliseconds> wait_for_delete(Watch &watch, std::string_view key,
                                                         std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  const auto give_up = start + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    auto batch = watch.next(200ms);
    if (!batch.ok()) {
      ADD_FAILURE() << batch.error().describe();
      return std::nullopt;
    }
    for (const auto &event : batch->events) {
      if (event.type == EventType::remove && event.kv.key == key) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
      }
    }
  }
  return std::nullopt;
}

TEST_P(StateStoreConformance, ExpiredLeaseDeletesItsKeysWithEvents) {
  const Lease lease = expect_ok(store().grant_lease(1));
  ASSERT_NE(lease.id, 0);
  expect_ok(store().create("/leased/a", "x", lease.id));
  expect_ok(store().create("/kept", "y"));
  EXPECT_EQ(expect_ok(store().get("/leased/a")).lease, lease.id);
  auto watch = expect_ok(store().watch(KeyRange::prefix("/leased/")));
  ASSERT_TRUE(watch);
  const auto took = wait_for_delete(*watch, "/leased/a", 5s);
  ASSERT_TRUE(took.has_value()) << "the key outlived its lease by seconds";
  EXPECT_GE(*took, 500ms) << "the lease expired well before its TTL";
  EXPECT_TRUE(store().get("/leased/a").failed_with(StoreErrc::not_found));
  EXPECT_EQ(expect_ok(store().get("/kept")).value, "y");
  EXPECT_TRUE(store().keep_alive(lease.id).failed_with(StoreErrc::not_found));
  EXPECT_TRUE(store().create("/leased/b", "x", lease.id).failed_with(StoreErrc::not_found));
}

TEST_P(StateStoreConformance, KeepAliveHoldsKeysPastTheirTtl) {
  const Lease lease = expect_ok(store().grant_lease(1));
  expect_ok(store().create("/held", "x", lease.id));
  const auto until = std::chrono::steady_clock::now() + 2500ms;
  while (std::chrono::steady_clock::now() < until) {
    expect_ok(store().keep_alive(lease.id));
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(expect_ok(store().get("/held")).value, "x");
  expect_ok(store().revoke_lease(lease.id));
}

TEST_P(StateStoreConformance, RevokeDeletesLeaseKeysAtOnce) {
  const Lease lease = expect_ok(store().grant_lease(60));
  expect_ok(store().create("/r/a", "x", lease.id));
  expect_ok(store().create("/r/b", "x", lease.id));
  expect_ok(store().create("/r/c", "x"));
  expect_ok(store().revoke_lease(lease.id));
  const auto left = expect_ok(store().list(KeyRange::prefix("/r/")));
  ASSERT_EQ(left.items.size(), 1U);
  EXPECT_EQ(left.items[0].key, "/r/c");
  EXPECT_TRUE(store().revoke_lease(lease.id).failed_with(StoreErrc::not_found));
}

TEST_P(StateStoreConformance, GrantRefusesNonPositiveTtl) {
  EXPECT_TRUE(store().grant_lease(0).failed_with(StoreErrc::invalid_argument));
}

} // namespace
} // namespace berth::cluster::testing
