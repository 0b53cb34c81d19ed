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

// Linux makes no longer path; one of 256 KiB took a second and, under ASan,
// gigabytes to check against the layer's symlinks.
TEST(LayerPath, RefusesPathsLongerThanLinuxAllows) {
  EXPECT_TRUE(normalize_layer_path(std::string(4095, 'a')).ok());
  EXPECT_EQ(normalize_layer_path(std::string(4096, 'a')).error().message,
            "path longer than 4095 bytes");
}

} // namespace
} // namespace berth
