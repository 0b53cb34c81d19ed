// Key ranges and the etcd gateway's base64, byte for byte.
#include "cluster/store/etcd/etcd_json.hpp"
#include "cluster/store/state_store.hpp"

#include <gtest/gtest.h>

namespace berth::cluster {
namespace {

TEST(KeyRange, PrefixEndsAtTheNextPrefix) {
  EXPECT_EQ(prefix_end("/pods/"), "/pods0");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_end(std::string("\xff\xff", 2)), ""); // no end: every key after
  EXPECT_EQ(prefix_end(""), "");
}

TEST(KeyRange, ContainsOnlyKeysInsideIt) {
  const auto pods = KeyRange::prefix("/pods/");
  EXPECT_TRUE(pods.contains("/pods/a"));
  EXPECT_FALSE(pods.contains("/pods"));
  EXPECT_FALSE(pods.contains("/podsx"));
  const auto one = KeyRange::single("/a");
  EXPECT_TRUE(one.is_single());
  EXPECT_TRUE(one.contains("/a"));
  EXPECT_FALSE(one.contains("/a/b"));
  EXPECT_TRUE(KeyRange::prefix("").contains("anything"));
}

TEST(EtcdJson, Base64RoundTripsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
  }
  for (std::size_t length = 0; length <= 5; ++length) {
    const auto part = bytes.substr(250 - length, length);
    EXPECT_EQ(etcd::base64_decode(etcd::base64_encode(part)), part);
  }
  EXPECT_EQ(etcd::base64_decode(etcd::base64_encode(bytes)), bytes);
  EXPECT_EQ(etcd::base64_encode("/a"), "L2E=");
  EXPECT_EQ(etcd::base64_encode("one"), "b25l");
}

} // namespace
} // namespace berth::cluster
