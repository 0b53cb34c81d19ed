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
    const auto archive = tmp_.path() / "app.tar";
    auto saved = berth({"save", "-o", archive.string(), "interop/app:1"});
    EXPECT_EQ(saved.exit_code, 0) << saved.err;
    return archive;
  }

  TempDir tmp_{"berth-interop"};
  std::filesystem::path stack_;
};

TEST_F(InteropTest, SkopeoInspectsWhatBerthSaves) {
  if (!std::filesystem::exists("/usr/bin/skopeo")) {
    GTEST_SKIP() << "skopeo is not installed (apt-get install skopeo)";
  }
  const auto archive = saved_image();
  auto inspect = run_process({"/usr/bin/skopeo", "inspect", "oci-archive:" + archive.string()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const auto json = nlohmann::json::parse(inspect.out);
  auto ours = nlohmann::json::parse(berth({"image", "inspect", "interop/app:1"}).out).at(0);
  EXPECT_EQ(json["Digest"], ours["Digest"]);
  EXPECT_EQ(json["Layers"][0], ours["Layers"][0]["Digest"]);
}

TEST_F(InteropTest, PodmanLoadsWhatBerthSavesAndBerthLoadsWhatPodmanSaves) {
  if (!std::filesystem::exists("/usr/bin/podman")) {
    GTEST_SKIP() << "podman is not installed (apt-get install podman)";
  }
  const auto archive = saved_image();
  auto loaded = podman({"load", "-i", archive.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_NE(loaded.out.find("interop/app:1"), std::string::npos) << loaded.out;

  // podman names what it loaded localhost/interop/app:1, and saves it so.
  ASSERT_EQ(berth({"rmi", "interop/app:1"}).exit_code, 0);
  for (const std::string format : {"docker-archive", "oci-archive"}) {
    const auto exported = tmp_.path() / ("podman-" + format + ".tar");
    auto saved = podman({"save", "--format", format, "-o", exported.string(), "interop/app:1"});
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    auto back = berth({"load", "-i", exported.string()});
    ASSERT_EQ(back.exit_code, 0) << format << ": " << back.err;
    EXPECT_NE(back.out.find("interop/app:1"), std::string::npos) << back.out;
    auto motd =
        run_process({"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-ec",
                     "p=$($BERTH image mount localhost/interop/app:1); cat $p/etc/motd"},
                    {{"BERTH_STACK", stack_.string()}, {"BERTH", BERTH_EXECUTABLE}});
    EXPECT_EQ(motd.out, "hello from berth\n") << format << ": " << motd.err;
    ASSERT_EQ(berth({"rmi", "-f", "localhost/interop/app:1"}).exit_code, 0);
  }
}

} // namespace
} // namespace berth::testing
