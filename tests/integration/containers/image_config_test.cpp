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
                          "Entrypoint": ["sh", "-c"], "StopSignal": "SIGQUIT",
                          "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000},
                          "Volumes": {"/cache": {}},
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

TEST_F(ImageConfigTest, InspectShowsWhatTheImageDecided) {
  const auto created = berth({"create", "--network", "none", kConfigured});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto id = lines(created.out).back();
  track(id);
  const auto config = inspect(id)["Config"];
  EXPECT_EQ(config.value("User", ""), "65534");
  EXPECT_EQ(config.value("StopSignal", ""), "SIGQUIT");
  EXPECT_EQ(config["Healthcheck"]["Test"], nlohmann::json({"CMD", "true"}));
  EXPECT_TRUE(config["Volumes"].contains("/cache")) << config.dump();
}

// PID 1 ignores a signal it has no handler for: a stop that sent SIGTERM
// here would wait out -t and kill (137); the image's USR1 ends it with 42.
TEST_F(ImageConfigTest, StopSendsTheImagesStopSignalUnlessTheUserNamesOne) {
  const auto archive = tmp().path() / "stoppable.tar";
  write_oci_archive(archive, {busybox_entries()}, "stoppable:test",
                    R"({"StopSignal": "SIGUSR1", "Cmd": ["sh", "-c",
                        "trap 'exit 42' USR1; trap 'exit 43' USR2; while :; do sleep 0.1; done"]})");
  ASSERT_EQ(berth({"load", "-i", archive.string()}).exit_code, 0);
  const auto by_image = run_detached({"--network", "none", "stoppable:test"});
  ASSERT_EQ(berth({"stop", "-t", "5", by_image}).exit_code, 0);
  EXPECT_EQ(inspect(by_image)["State"]["ExitCode"], 42);

  const auto by_flag =
      run_detached({"--network", "none", "--stop-signal", "USR2", "stoppable:test"});
  ASSERT_EQ(berth({"stop", "-t", "5", by_flag}).exit_code, 0);
  EXPECT_EQ(inspect(by_flag)["State"]["ExitCode"], 43);

  const auto bad = berth({"run", "--stop-signal", "SIGNOPE", "stoppable:test"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("invalid --stop-signal \"SIGNOPE\""), std::string::npos) << bad.err;
}

} // namespace
} // namespace berth::testing
