#include "image/digest.hpp"
#include "image/reference.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Reference, FamiliarFormAndDefaultTag) {
  EXPECT_EQ(parse_reference("busybox")->str(), "busybox:latest");
  EXPECT_EQ(parse_reference("docker.io/library/busybox:1.36")->str(), "busybox:1.36");
  EXPECT_EQ(parse_reference("docker.io/team/app")->str(), "team/app:latest");
  EXPECT_EQ(parse_reference("localhost/app:2")->str(), "localhost/app:2");
  EXPECT_EQ(parse_reference("registry.local:5000/a/b:c")->str(), "registry.local:5000/a/b:c");
  const auto digest = "sha256:" + std::string(64, 'a');
  auto pinned = parse_reference("app@" + digest);
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->tag, "");
  EXPECT_EQ(pinned->str(), "app@" + digest);
}

// berth stores the familiar form and `save` writes the qualified one: both
// must read back as the same name (found by fuzz/image_reference.cpp).
TEST(Reference, FamiliarAndQualifiedFormsReadBackAsTheSameName) {
  EXPECT_EQ(parse_reference("library/busybox")->str(), "busybox:latest");
  EXPECT_EQ(parse_reference("docker.io/library/busybox")->qualified(),
            "docker.io/library/busybox:latest");
  const auto odd = parse_reference("docker.io/index.docker.io/library/app");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->str(), "docker.io/index.docker.io/library/app:latest")
      << "without docker.io/, index.docker.io would read as the registry";
  EXPECT_EQ(parse_reference(odd->qualified())->name, odd->name);
  EXPECT_TRUE(parse_reference(std::string(255 - 18, 'a')).ok());
  EXPECT_FALSE(parse_reference(std::string(255 - 17, 'a')).ok())
      << "255 characters at most once qualified: docker.io/library/ is 18";
}

TEST(Reference, InvalidOnesSayWhy) {
  EXPECT_NE(parse_reference("Busybox").error().message.find("must be lowercase"),
            std::string::npos);
  EXPECT_NE(parse_reference("app:bad tag").error().message.find("tag 'bad tag'"),
            std::string::npos);
  EXPECT_NE(parse_reference("app@sha256:123").error().message.find("64 hex"), std::string::npos);
  EXPECT_NE(parse_reference("a//b").error().message.find("not a valid name component"),
            std::string::npos);
  EXPECT_FALSE(parse_reference("").ok());
  EXPECT_FALSE(parse_reference(":tag").ok());
  EXPECT_FALSE(parse_reference(std::string(300, 'a')).ok());
}

TEST(Digest, ChainIdsFollowTheOciFormula) {
  const auto a = sha256_digest("a");
  const auto b = sha256_digest("b");
  EXPECT_EQ(chain_id("", a), a);
  EXPECT_EQ(chain_id(a, b), sha256_digest(a + " " + b));
  EXPECT_TRUE(is_digest(a));
  EXPECT_FALSE(is_digest("sha256:ABC"));
  EXPECT_EQ(sha256_digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

} // namespace
} // namespace berth
