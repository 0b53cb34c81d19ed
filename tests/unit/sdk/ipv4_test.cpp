#include <berth/sdk/ipv4.hpp>

#include <gtest/gtest.h>

namespace berth::sdk {
namespace {

TEST(Ipv4, ParsesDottedQuadsOnly) {
  EXPECT_EQ(Ipv4::parse("10.0.0.1")->value, 0x0A000001U);
  EXPECT_EQ(Ipv4::parse("255.255.255.255")->str(), "255.255.255.255");
  for (const char *bad : {"", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10.0.0.01", "a.b.c.d",
                          "10..0.1", "10.0.0.1 ", "-1.0.0.0"}) {
    EXPECT_FALSE(Ipv4::parse(bad)) << bad;
  }
}

TEST(Ipv4Subnet, ParsesAndRejectsHostBits) {
  auto subnet = Ipv4Subnet::parse("10.90.3.0/24");
  ASSERT_TRUE(subnet.ok());
  EXPECT_EQ(subnet->str(), "10.90.3.0/24");
  EXPECT_EQ(subnet->first_host().str(), "10.90.3.1");
  EXPECT_EQ(subnet->broadcast().str(), "10.90.3.255");
  EXPECT_EQ(subnet->size(), 256U);
  auto host_bits = Ipv4Subnet::parse("10.90.3.7/24");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_NE(host_bits.error().message.find("did you mean 10.90.3.0/24"), std::string::npos);
  for (const char *bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "foo/8", "10.0.0.0/x"}) {
    auto parsed = Ipv4Subnet::parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
  }
}

TEST(Ipv4Subnet, KnowsHostsAndOverlaps) {
  const auto small = Ipv4Subnet::parse("192.168.1.0/29").value();
  EXPECT_FALSE(small.is_host(*Ipv4::parse("192.168.1.0")));
  EXPECT_TRUE(small.is_host(*Ipv4::parse("192.168.1.6")));
  EXPECT_FALSE(small.is_host(*Ipv4::parse("192.168.1.7")));
  EXPECT_FALSE(small.is_host(*Ipv4::parse("192.168.1.8")));
  const auto wide = Ipv4Subnet::parse("192.168.0.0/16").value();
  EXPECT_TRUE(wide.overlaps(small));
  EXPECT_TRUE(small.overlaps(wide));
  EXPECT_FALSE(small.overlaps(Ipv4Subnet::parse("192.168.1.8/29").value()));
  EXPECT_EQ(Ipv4Subnet::parse("0.0.0.0/0")->size(), std::uint64_t{1} << 32U);
}

} // namespace
} // namespace berth::sdk
