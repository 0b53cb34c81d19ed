#include "util/signal_name.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace berth {
namespace {

TEST(SignalName, NamesWithOrWithoutSigAndNumbers) {
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGQUIT"), SIGQUIT);
  EXPECT_EQ(parse_signal("9"), SIGKILL);
  EXPECT_EQ(parse_signal("SIGWINCH"), SIGWINCH);
}

TEST(SignalName, RejectsWhatLinuxDoesNotHave) {
  for (const char *bad : {"", "SIG", "NOPE", "0", "-1", "65", "9x", "sigterm"}) {
    EXPECT_FALSE(parse_signal(bad).has_value()) << bad;
  }
}

} // namespace
} // namespace berth
