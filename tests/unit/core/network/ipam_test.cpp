// The core's IPAM against its real SQLite store: what network drivers rely
// on (no overlap, no address twice, exhaustion said plainly), across two
// instances sharing one database as two berth processes do.
#include "network/ipam.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <set>

namespace berth {
namespace {

class IpamTest : public ::testing::Test {
protected:
  testing::TempDir root_{"berth-ipam"};
  SqliteIpam ipam_{root_.path()};
};

TEST_F(IpamTest, GivesTheRequestedPoolAndItsFirstHostAsGateway) {
  auto pool = ipam_.request_pool("net-a", "10.50.0.0/24", "");
  ASSERT_TRUE(pool.ok()) << pool.error().describe();
  EXPECT_EQ(pool->subnet, "10.50.0.0/24");
  EXPECT_EQ(pool->gateway, "10.50.0.1");
  auto again = ipam_.request_pool("net-a", "", "");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->subnet, "10.50.0.0/24");
}

TEST_F(IpamTest, RefusesOverlappingSubnetsAndBadGateways) {
  ASSERT_TRUE(ipam_.request_pool("net-a", "10.50.0.0/16", "").ok());
  auto overlap = ipam_.request_pool("net-b", "10.50.3.0/24", "");
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.error().code, sdk::Errc::already_exists);
  EXPECT_NE(overlap.error().message.find("overlaps 10.50.0.0/16"), std::string::npos);
  auto outside = ipam_.request_pool("net-c", "10.60.0.0/24", "10.61.0.1");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, sdk::Errc::invalid_argument);
  auto malformed = ipam_.request_pool("net-d", "10.70.0.0/33", "");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, sdk::Errc::invalid_argument);
}

TEST_F(IpamTest, ChoosesFreeSubnetsFromTheDefaultRange) {
  auto first = ipam_.request_pool("net-a", "", "");
  auto second = ipam_.request_pool("net-b", "", "");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->subnet, second->subnet);
  EXPECT_TRUE(first->subnet.starts_with("10.90.")) << first->subnet;
  ASSERT_TRUE(ipam_.release_pool("net-a").ok());
  auto third = ipam_.request_pool("net-c", "", "");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->subnet, first->subnet) << "a released subnet is free again";
}

TEST_F(IpamTest, NeverHandsOutAnAddressTwiceAndSaysWhenFull) {
  ASSERT_TRUE(ipam_.request_pool("small", "192.168.7.0/29", "").ok());
  SqliteIpam other(root_.path()); // a second berth process on the same store
  std::set<std::string> given;
  for (int i = 0; i < 5; ++i) {
    auto &instance = i % 2 == 0 ? static_cast<sdk::Ipam &>(ipam_) : other;
    auto address = instance.request_address("small", "endpoint-" + std::to_string(i), "");
    ASSERT_TRUE(address.ok()) << address.error().describe();
    EXPECT_NE(*address, "192.168.7.1") << "the gateway is never given out";
    EXPECT_TRUE(given.insert(*address).second) << *address << " given twice";
  }
  auto full = ipam_.request_address("small", "endpoint-5", "");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, sdk::Errc::unavailable);
  EXPECT_NE(full.error().message.find("no free address left in 192.168.7.0/29"), std::string::npos)
      << full.error().message;
  ASSERT_TRUE(other.release_address("small", "endpoint-2").ok());
  auto reused = ipam_.request_address("small", "endpoint-5", "");
  ASSERT_TRUE(reused.ok());
}

TEST_F(IpamTest, KeepsAnOwnersAddressAndHonoursRequests) {
  ASSERT_TRUE(ipam_.request_pool("net", "10.80.0.0/24", "").ok());
  auto first = ipam_.request_address("net", "owner-a", "");
  auto again = ipam_.request_address("net", "owner-a", "");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(*first, *again);
  auto wanted = ipam_.request_address("net", "owner-b", "10.80.0.77");
  ASSERT_TRUE(wanted.ok());
  EXPECT_EQ(*wanted, "10.80.0.77");
  auto taken = ipam_.request_address("net", "owner-c", "10.80.0.77");
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, sdk::Errc::already_exists);
  auto outside = ipam_.request_address("net", "owner-c", "10.81.0.2");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, sdk::Errc::invalid_argument);
  auto listed = ipam_.allocations("net");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2U);
  ASSERT_TRUE(ipam_.release_address("net", "owner-a").ok());
  ASSERT_TRUE(ipam_.release_address("net", "owner-a").ok()) << "release is idempotent";
  EXPECT_EQ(ipam_.allocations("net")->size(), 1U);
}

} // namespace
} // namespace berth
