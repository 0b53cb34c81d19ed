#include "util/text.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Text, EditDistanceCountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0U);
  EXPECT_EQ(edit_distance("overlay2", "overlay3"), 1U);
  EXPECT_EQ(edit_distance("stroage", "storage"), 2U);
  EXPECT_EQ(edit_distance("vfs", ""), 3U);
}

TEST(Text, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> names{"overlay2", "vfs", "bridge"};
  EXPECT_EQ(did_you_mean("overlay3", names), "; did you mean 'overlay2'?");
  EXPECT_EQ(did_you_mean("btrfs", names), "");
  EXPECT_EQ(did_you_mean("anything", {}), "");
}

TEST(Text, ListsOrSaysNone) {
  EXPECT_EQ(list_or_none({}), "none");
  EXPECT_EQ(list_or_none({"a", "b"}), "a, b");
}

} // namespace
} // namespace berth
