// HostServices against real SQLite and a real state directory.
#include "plugin/host_services.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(HostServices, KeyValueStoreIsPersistentAndPrivatePerPlugin) {
  testing::TempDir root;
  {
    CoreHostServices a("alpha", root.path());
    ASSERT_TRUE(a.kv().put("net/one", "10.0.0.1").ok());
    ASSERT_TRUE(a.kv().put("net/two", "10.0.0.2").ok());
    ASSERT_TRUE(a.kv().put("other", "x").ok());
    ASSERT_TRUE(a.kv().put("net/one", "10.0.0.9").ok()); // overwrite
  }
  CoreHostServices again("alpha", root.path());
  auto one = again.kv().get("net/one");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->value_or(""), "10.0.0.9");
  auto listed = again.kv().list("net/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<std::pair<std::string, std::string>>{{"net/one", "10.0.0.9"},
                                                                       {"net/two", "10.0.0.2"}}));
  ASSERT_TRUE(again.kv().erase("net/one").ok());
  EXPECT_FALSE(again.kv().get("net/one")->has_value());

  CoreHostServices beta("beta", root.path());
  EXPECT_FALSE(beta.kv().get("other")->has_value());
  EXPECT_TRUE(std::filesystem::exists(root.path() / "berth.db"));
}

TEST(HostServices, DeferredWritesAreStoredLikeSyncedOnes) {
  testing::TempDir root;
  {
    CoreHostServices a("alpha", root.path());
    ASSERT_TRUE(a.kv().put("keep", "1").ok());
    ASSERT_TRUE(a.kv().put("drop", "2").ok());
    ASSERT_TRUE(a.kv().put_deferred("snap/a", "deferred").ok());
    ASSERT_TRUE(a.kv().erase_deferred("drop").ok());
    EXPECT_EQ(a.kv().get("snap/a")->value_or(""), "deferred");
    // A synced write after deferred ones, on the same connection.
    ASSERT_TRUE(a.kv().put("keep", "3").ok());
  }
  CoreHostServices again("alpha", root.path());
  EXPECT_EQ(again.kv().get("snap/a")->value_or(""), "deferred");
  EXPECT_EQ(again.kv().get("keep")->value_or(""), "3");
  EXPECT_FALSE(again.kv().get("drop")->has_value());
}

TEST(HostServices, NothingIsWrittenUntilUsed) {
  testing::TempDir root;
  CoreHostServices host("alpha", root.path() / "state");
  EXPECT_FALSE(std::filesystem::exists(root.path() / "state"));
  auto dir = host.state_dir();
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(*dir, root.path() / "state" / "plugins" / "alpha");
  EXPECT_TRUE(std::filesystem::is_directory(*dir));
}

TEST(HostServices, ReportsAnUnwritableStoreAsAnError) {
  testing::TempDir root;
  const auto blocker = root.write("file", "not a directory");
  CoreHostServices host("alpha", blocker); // the root is a regular file
  auto put = host.kv().put("k", "v");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, sdk::Errc::io);
  EXPECT_EQ(put.error().context, "plugin 'alpha' key-value store");
}

} // namespace
} // namespace berth
