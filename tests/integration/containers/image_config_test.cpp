// What an image's config asks for is what the container gets unless the
// user says otherwise, as in Docker: User, WorkingDir, Env, Entrypoint+Cmd.
#include "container_fixture.hpp"

namespace berth::testing {
namespace {

constexpr const char *kConfigured = "configured:test";

class ImageConfigTest : public ContainerTest {
protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    const auto archive = tmp().path() / "configured.tar";
    write_oci_archive(archive, {busybox_entries()}, kConfigured,
                      R"({"User": "65534", "WorkingDir": "/tmp", "Env": ["GREETING=hi"],
                          "Entrypoint": ["sh", "-c"],
                          "Cmd": ["echo $(id -u) $(pwd) $GREETING"]})");
    const auto loaded = berth({"load", "-i", archive.string()});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  }
};

TEST_F(ImageConfigTest, TheImagesUserWorkingDirAndEnvApply) {
  const auto ran = berth({"run", "--rm", "--network", "none", kConfigured});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "65534 /tmp hi\n");
}

TEST_F(ImageConfigTest, FlagsWinOverTheImagesConfig) {
  const auto ran = berth({"run", "--rm", "--network", "none", "-u", "0", "-w", "/", "-e",
                          "GREETING=bye", kConfigured});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "0 / bye\n");
}

TEST_F(ImageConfigTest, ACommandReplacesCmdButKeepsTheEntrypoint) {
  const auto ran = berth({"run", "--rm", "--network", "none", kConfigured, "echo other"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "other\n");
}

} // namespace
} // namespace berth::testing
