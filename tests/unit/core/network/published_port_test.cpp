#include "network/published_port.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(PublishedPort, ParsesDockersForms) {
  auto simple = parse_publish("8080:80");
  ASSERT_TRUE(simple.ok());
  EXPECT_EQ(simple->front(), (PublishedPort{"", 8080, 80, "tcp"}));
  auto any = parse_publish("53/udp");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->front(), (PublishedPort{"", 0, 53, "udp"}));
  auto bound = parse_publish("127.0.0.1:9000:90");
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(bound->front(), (PublishedPort{"127.0.0.1", 9000, 90, "tcp"}));
  auto ip_any = parse_publish("127.0.0.1::90");
  ASSERT_TRUE(ip_any.ok());
  EXPECT_EQ(ip_any->front(), (PublishedPort{"127.0.0.1", 0, 90, "tcp"}));
  auto range = parse_publish("8000-8002:80-82");
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->size(), 3U);
  EXPECT_EQ(range->back(), (PublishedPort{"", 8002, 82, "tcp"}));
}

TEST(PublishedPort, RejectsBadSpecsWithOneLine) {
  for (const char *bad :
       {"", "80/sctp", "0", "70000", "a:80", "300.0.0.1:80:80", "8000-8001:80", "90-80", "8080:"}) {
    auto parsed = parse_publish(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos);
    EXPECT_NE(parsed.error().message.find("e.g. 8080:80"), std::string::npos) << bad;
  }
}

TEST(PublishedPort, ExposedPortsOfAnImage) {
  const nlohmann::json config = {{"config", {{"ExposedPorts", {{"80/tcp", {}}, {"53/udp", {}}}}}}};
  auto ports = exposed_ports(config);
  ASSERT_TRUE(ports.ok());
  ASSERT_EQ(ports->size(), 2U);
  EXPECT_EQ(ports->at(0).host_port, 0);
}

// An image's config must not choose host addresses or ports for -P.
TEST(PublishedPort, ExposedPortsTakeOnlyContainerPortsAndRanges) {
  auto exposes = [](const std::string &key) {
    return exposed_ports({{"config", {{"ExposedPorts", {{key, nlohmann::json::object()}}}}}});
  };
  auto range = exposes("8000-8002/udp");
  ASSERT_TRUE(range.ok()) << range.error().describe();
  ASSERT_EQ(range->size(), 3U);
  EXPECT_EQ(range->at(2), (PublishedPort{"", 0, 8002, "udp"}));
  EXPECT_EQ(exposes("53").value().at(0), (PublishedPort{"", 0, 53, "tcp"}));
  for (const char *hostile : {"1-20000:1-20000/tcp", "127.0.0.1:22:22", "8080:80", "0.0.0.0::80",
                              "80/sctp", "80/tcp/udp", "0/tcp", "90-80"}) {
    auto refused = exposes(hostile);
    ASSERT_FALSE(refused.ok()) << hostile;
    EXPECT_NE(refused.error().message.find("which is not PORT"), std::string::npos);
  }
}

TEST(PublishedPort, AddHost) {
  EXPECT_EQ(parse_add_host("db:10.0.0.5").value(), "10.0.0.5\tdb");
  EXPECT_EQ(parse_add_host("db=10.0.0.5").value(), "10.0.0.5\tdb");
  EXPECT_FALSE(parse_add_host("db").ok());
  EXPECT_FALSE(parse_add_host(":10.0.0.5").ok());
  EXPECT_FALSE(parse_add_host("db:nowhere").ok());
}

} // namespace
} // namespace berth
