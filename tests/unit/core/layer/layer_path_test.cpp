#include "layer/layer_reader.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(LayerPath, NormalisesWhatTarsWrite) {
  EXPECT_EQ(*normalize_layer_path("./etc//passwd"), "etc/passwd");
  EXPECT_EQ(*normalize_layer_path("etc/./x/"), "etc/x");
  EXPECT_EQ(*normalize_layer_path("./"), "");
}

TEST(LayerPath, RefusesEscapes) {
  EXPECT_FALSE(normalize_layer_path("/etc/passwd").ok());
  EXPECT_FALSE(normalize_layer_path("../x").ok());
  EXPECT_FALSE(normalize_layer_path("a/../../x").ok());
  EXPECT_FALSE(normalize_layer_path("a/..").ok());
}

} // namespace
} // namespace berth
