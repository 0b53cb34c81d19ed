#include "sched/scheduler.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Sampling, FollowsKubeSchedulersAdaptiveRule) {
  EXPECT_EQ(feasible_nodes_to_find(50, 0), 50U); // small clusters: every node
  EXPECT_EQ(feasible_nodes_to_find(100, 0), 100U);
  EXPECT_EQ(feasible_nodes_to_find(1000, 0), 420U);  // 50% - 1000/125 = 42%
  EXPECT_EQ(feasible_nodes_to_find(5000, 0), 500U);  // 10%
  EXPECT_EQ(feasible_nodes_to_find(15000, 0), 750U); // floor of 5%
  EXPECT_EQ(feasible_nodes_to_find(5000, 100), 5000U);
  EXPECT_EQ(feasible_nodes_to_find(5000, 1), 100U); // never fewer than 100
}

TEST(Placement, SummaryListsReasonsByCountThenName) {
  Placement placement;
  placement.rejected = {
      {"taint not tolerated", 10}, {"insufficient memory", 4990}, {"b reason", 3}, {"a reason", 3}};
  EXPECT_EQ(placement.summary(5006), "0/5006 nodes available: 4990 insufficient memory, 10 "
                                     "taint not tolerated, 3 a reason, 3 b reason");
}

} // namespace
} // namespace berth
