// berth's archives against the real peers: skopeo and podman read what berth
// saves, and berth loads what podman saves. Skipped when a peer is missing.
#include "support/image_builder.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::testing {
namespace {

class InteropTest : public ::testing::Test {
protected:
  void SetUp() override {
    stack_ = tmp_.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\nroot: " +
                                          (tmp_.path() / "root").string() +
                                          "\nstorage:\n  driver: overlay2\n");
  }

  Completed berth(std::vector<std::string> args) const {
    args.insert(args.begin(),
                {"/usr/bin/unshare", "--mount", "--propagation", "private", BERTH_EXECUTABLE});
    return run_process(args, {{"BERTH_STACK", stack_.string()}});
  }

  // podman with a private store, so that the host's images are never touched.
  Completed podman(std::vector<std::string> args) const {
    const auto store = tmp_.path() / "podman";
    std::vector<std::string> argv = {"/usr/bin/podman",
                                     "--root",
                                     (store / "root").string(),
                                     "--runroot",
                                     (store / "run").string(),
                                     "--storage-driver",
                                     "vfs",
                                     "--cgroup-manager",
                                     "cgroupfs",
                                     "--events-backend",
                                     "file"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }

  std::filesystem::path saved_image() {
    const auto tarball = tmp_.path() / "root.tar.gz";
    write_tar(tarball, {dir("etc"), file("etc/motd", "hello from berth\n")}, true);
    EXPECT_EQ(berth({"import", tarball.string(), "interop/app:1"}).exit_code, 0);
    auto archive = tmp_.path() / "app.tar";
    auto saved = berth({"save", "-o", archive.string(), "interop/app:1"});
    EXPECT_EQ(saved.exit_code, 0) << saved.err;
    return archive;
  }

  TempDir tmp_{"berth-interop"};
  std::filesystem::path stack_;
};

// One archive, two transports: the OCI side keeps berth's manifest (same
// digest); the docker-archive side names each layer by its diff ID, as
// skopeo does for a docker-archive whatever the layer's compression.
TEST_F(InteropTest, SkopeoInspectsWhatBerthSavesAsOciAndAsDockerArchive) {
  if (!std::filesystem::exists("/usr/bin/skopeo")) {
    GTEST_SKIP() << "skopeo is not installed (apt-get install skopeo)";
  }
  const auto archive = saved_image();
  auto ours = nlohmann::json::parse(berth({"image", "inspect", "interop/app:1"}).out).at(0);
  auto oci = run_process({"/usr/bin/skopeo", "inspect", "oci-archive:" + archive.string()});
  ASSERT_EQ(oci.exit_code, 0) << oci.err;
  const auto oci_json = nlohmann::json::parse(oci.out);
  EXPECT_EQ(oci_json["Digest"], ours["Digest"]);
  EXPECT_EQ(oci_json["Layers"], nlohmann::json({ours["Layers"][0]["Digest"]}));

  // By the name in manifest.json's RepoTags.
  auto docker = run_process(
      {"/usr/bin/skopeo", "inspect", "docker-archive:" + archive.string() + ":interop/app:1"});
  ASSERT_EQ(docker.exit_code, 0) << docker.err;
  EXPECT_EQ(nlohmann::json::parse(docker.out)["Layers"],
            nlohmann::json({ours["Layers"][0]["DiffID"]}));
  auto config =
      run_process({"/usr/bin/skopeo", "inspect", "--config", "docker-archive:" + archive.string()});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  EXPECT_EQ(nlohmann::json::parse(config.out)["rootfs"]["diff_ids"][0],
            ours["Layers"][0]["DiffID"]);
}

TEST_F(InteropTest, PodmanLoadsWhatBerthSavesAndBerthLoadsWhatPodmanSaves) {
  if (!std::filesystem::exists("/usr/bin/podman")) {
    GTEST_SKIP() << "podman is not installed (apt-get install podman)";
  }
  const auto archive = saved_image();
  auto loaded = podman({"load", "-i", archive.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_NE(loaded.out.find("interop/app:1"), std::string::npos) << loaded.out;

  // podman names what it loaded by io.containerd.image.name,
  // docker.io/interop/app:1, and saves it so: berth's interop/app:1 again.
  ASSERT_EQ(berth({"rmi", "interop/app:1"}).exit_code, 0);
  for (const std::string format : {"docker-archive", "oci-archive"}) {
    const auto exported = tmp_.path() / ("podman-" + format + ".tar");
    auto saved = podman({"save", "--format", format, "-o", exported.string(), "interop/app:1"});
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    auto back = berth({"load", "-i", exported.string()});
    ASSERT_EQ(back.exit_code, 0) << format << ": " << back.err;
    EXPECT_NE(back.out.find("interop/app:1"), std::string::npos) << back.out;
    auto motd = run_process({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh",
                             "-ec", "p=$($BERTH image mount interop/app:1); cat $p/etc/motd"},
                            {{"BERTH_STACK", stack_.string()}, {"BERTH", BERTH_EXECUTABLE}});
    EXPECT_EQ(motd.out, "hello from berth\n") << format << ": " << motd.err;
    ASSERT_EQ(berth({"rmi", "-f", "interop/app:1"}).exit_code, 0);
  }
}

// Several images and tags in one archive: podman 4 reads an OCI archive of one
// image only, and falls back to the docker-archive side, which holds them all.
TEST_F(InteropTest, PodmanLoadsSeveralImagesAndTagsFromOneArchive) {
  if (!std::filesystem::exists("/usr/bin/podman")) {
    GTEST_SKIP() << "podman is not installed (apt-get install podman)";
  }
  saved_image();
  const auto tarball = tmp_.path() / "other.tar";
  write_tar(tarball, {file("other", "other\n")});
  ASSERT_EQ(berth({"import", tarball.string(), "interop/other:1"}).exit_code, 0);
  ASSERT_EQ(berth({"tag", "interop/app:1", "interop/app:2"}).exit_code, 0);
  const auto archive = tmp_.path() / "several.tar";
  auto saved =
      berth({"save", "-o", archive.string(), "interop/app:1", "interop/app:2", "interop/other:1"});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  auto loaded = podman({"load", "-i", archive.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  auto listed = podman({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const auto *name : {"interop/app:1", "interop/app:2", "interop/other:1"}) {
    EXPECT_NE(listed.out.find(name), std::string::npos) << name << " in " << listed.out;
  }
}

} // namespace
} // namespace berth::testing
