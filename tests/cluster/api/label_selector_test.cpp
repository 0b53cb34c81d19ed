#include "cluster/api/label_selector.hpp"
#include "cluster/api/object_meta.hpp"

#include <gtest/gtest.h>

namespace berth::cluster::api {
namespace {

bool selects(const std::string &selector, const std::map<std::string, std::string> &labels) {
  std::string error;
  const auto parsed = LabelSelector::parse(selector, error);
  EXPECT_TRUE(parsed) << selector << ": " << error;
  return parsed && parsed->matches(labels);
}

TEST(LabelSelector, EveryOperatorMatchesAsKubernetesDoes) {
  const std::map<std::string, std::string> labels{{"app", "web"}, {"tier", "front"}};
  EXPECT_TRUE(selects("app=web", labels));
  EXPECT_TRUE(selects("app==web,tier=front", labels));
  EXPECT_FALSE(selects("app=web,tier=back", labels));
  EXPECT_TRUE(selects("app!=db", labels));
  EXPECT_TRUE(selects("missing!=x", labels)) << "!= matches objects without the label";
  EXPECT_TRUE(selects("app in (db, web)", labels));
  EXPECT_FALSE(selects("app notin (db,web)", labels));
  EXPECT_TRUE(selects("missing notin (x)", labels));
  EXPECT_TRUE(selects("tier", labels));
  EXPECT_FALSE(selects("!tier", labels));
  EXPECT_TRUE(selects("", labels));
}

TEST(LabelSelector, MalformedSelectorsAreRefused) {
  std::string error;
  EXPECT_FALSE(LabelSelector::parse("app in web", error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(LabelSelector::parse("app=web,,", error));
}

TEST(HumanDuration, RoundsAsKubectlShowsAges) {
  using std::chrono::seconds;
  EXPECT_EQ(human_duration(seconds(45)), "45s");
  EXPECT_EQ(human_duration(seconds(119)), "119s");
  EXPECT_EQ(human_duration(seconds(330)), "5m30s");
  EXPECT_EQ(human_duration(seconds(600)), "10m");
  EXPECT_EQ(human_duration(seconds(4 * 3600 + 60)), "4h1m");
  EXPECT_EQ(human_duration(seconds(30 * 3600)), "30h");
  EXPECT_EQ(human_duration(seconds(3 * 86400 + 7200)), "3d2h");
  EXPECT_EQ(human_duration(seconds(40 * 86400)), "40d");
}

} // namespace
} // namespace berth::cluster::api
