// An image's JSON documents are checked whole when read: what passes is safe
// for every later reader, and anything else fails naming the field.
#include "image/manifest.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ImageManifest, ReadsConfigAndLayers) {
  const auto manifest = parse_image_manifest(R"({"schemaVersion": 2,
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ")" +
                                             kDigest + R"("},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ")" +
                                             kDigest + R"("}]})");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  EXPECT_EQ(manifest->media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(manifest->config.digest, kDigest);
  ASSERT_EQ(manifest->layers.size(), 1U);
}

TEST(ImageManifest, WrongTypesAreNamedByField) {
  EXPECT_EQ(parse_image_manifest(R"({"config": 5})").error().message,
            "config is a number, not an object");
  EXPECT_EQ(parse_image_manifest(R"({"config": {"digest": ")" + kDigest +
                                 R"("}, "layers": [{"digest": 1}]})")
                .error()
                .message,
            "layers[0].digest is a number, not a string");
  EXPECT_EQ(parse_image_manifest("[]").error().message, "the manifest is a list, not an object");
  EXPECT_EQ(parse_image_manifest("{").error().message, "the manifest is not valid JSON");
}

TEST(ImageManifest, DeepNestingIsRefusedBeforeAnythingCopiesIt) {
  const auto deep = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_EQ(
      parse_image_config(R"({"config": {"Healthcheck": {"Test": )" + deep + "}}}").error().message,
      "the image config nests more than 100 levels deep");
}

TEST(ImageIndex, ReadsNamesAndPlatforms) {
  const auto index = parse_image_index(R"({"manifests": [
    {"digest": "a", "platform": {"os": "linux", "architecture": "arm64"}},
    {"digest": "b", "platform": {"os": "linux", "architecture": "amd64"},
     "annotations": {"org.opencontainers.image.ref.name": "app:1"}}]})");
  ASSERT_TRUE(index.ok()) << index.error().message;
  ASSERT_EQ(index->size(), 2U);
  EXPECT_EQ((*index)[1].name, "app:1");
  EXPECT_EQ(pick_platform(*index, "amd64").target.digest, "b");
  EXPECT_EQ(pick_platform(*index, "s390x").target.digest, "a") << "else the first";
}

TEST(DockerManifest, UntaggedImagesHaveNullRepoTags) {
  // What `docker save IMAGE-ID` writes.
  const auto images =
      parse_docker_manifest(R"([{"Config": "c.json", "RepoTags": null, "Layers": ["l.tar"]}])");
  ASSERT_TRUE(images.ok()) << images.error().message;
  EXPECT_TRUE(images->front().repo_tags.empty());
  EXPECT_EQ(parse_docker_manifest(R"({"Config": "c.json"})").error().message,
            "manifest.json is an object, not a list");
}

TEST(ImageConfig, NullFieldsReadAsAbsent) {
  // Docker writes "Env": null and "Cmd": null for none.
  const auto config = parse_image_config(R"({"config": {"Env": null, "Cmd": null, "User": ""},
    "rootfs": {"diff_ids": [")" + kDigest +
                                         R"("]}, "history": null})");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->diff_ids, std::vector<std::string>{kDigest});
  const auto &document = config->document;
  EXPECT_FALSE(document["config"].contains("Env"));
  EXPECT_EQ(document["config"].value("Env", std::vector<std::string>{"x"}),
            std::vector<std::string>{"x"});
  EXPECT_FALSE(document.contains("history"));
}

TEST(ImageConfig, FieldsBerthReadsMustHaveDockersTypes) {
  EXPECT_EQ(parse_image_config(R"({"config": {"Env": ["A=1", 2]}})").error().message,
            "config.Env[1] is a number, not a string");
  EXPECT_EQ(parse_image_config(R"({"config": {"Labels": {"a": 1}}})").error().message,
            "config.Labels.a is a number, not a string");
  EXPECT_EQ(parse_image_config(R"({"history": [{"empty_layer": "yes"}]})").error().message,
            "history[0].empty_layer is a string, not a boolean");
  EXPECT_EQ(parse_image_config(R"({"rootfs": {"diff_ids": ["sha256:12"]}})").error().message,
            "layer 0 is not named by a sha256 digest");
}

} // namespace
} // namespace berth
