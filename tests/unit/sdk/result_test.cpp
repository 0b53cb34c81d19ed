#include <berth/sdk/result.hpp>

#include <gtest/gtest.h>

#include <memory>

namespace berth {
namespace {

sdk::Result<std::unique_ptr<int>> make(bool ok) {
  if (!ok) {
    return sdk::make_error(sdk::Errc::not_found, "no such thing", "/var/x");
  }
  return std::make_unique<int>(7);
}

TEST(Result, HoldsAValueOrAnError) {
  auto good = make(true);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(**good, 7);
  auto moved = std::move(good).value();
  EXPECT_EQ(*moved, 7);

  auto bad = make(false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, sdk::Errc::not_found);
  EXPECT_EQ(bad.error().describe(), "/var/x: no such thing");
  EXPECT_STREQ(sdk::errc_name(bad.error().code), "not found");
}

TEST(Result, VoidResultCarriesOnlyTheError) {
  sdk::Result<void> ok;
  EXPECT_TRUE(ok.ok());
  sdk::Result<void> failed = sdk::make_error(sdk::Errc::busy, "in use");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().describe(), "in use");
}

} // namespace
} // namespace berth
