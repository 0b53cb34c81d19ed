// docker-compose 1.29 against berthd engine: a two-service project with a
// user network, a named volume and a published port.
#include "docker_fixture.hpp"

#include <fstream>

namespace berth::testing {
namespace {

constexpr const char *kProject = R"(version: "3.8"
services:
  web:
    image: busybox:test
    command: ["httpd", "-f", "-p", "8080", "-h", "/srv"]
    ports: ["18080:8080"]
    volumes: ["data:/srv"]
    networks: [back]
  db:
    image: busybox:test
    command: ["sh", "-c", "echo db-ready; echo hello > /data/index.html; exec sleep 1000"]
    volumes: ["data:/data"]
    networks: [back]
volumes:
  data: {}
networks:
  back: {}
)";

class ComposeTest : public DockerApiTest {
protected:
  void SetUp() override {
    DockerApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    if (::access("/usr/bin/docker-compose", X_OK) != 0) {
      GTEST_SKIP() << "needs Debian's docker-compose; run 'make deps'";
    }
    std::filesystem::create_directories(project_dir());
    std::ofstream(project_dir() / "docker-compose.yml") << kProject;
  }

  [[nodiscard]] std::filesystem::path project_dir() const { return tmp().path() / "demo"; }

  [[nodiscard]] Completed compose(const std::vector<std::string> &args) const {
    std::vector<std::string> argv{"/usr/bin/timeout",
                                  "-k",
                                  "5",
                                  "120",
                                  "/usr/bin/docker-compose",
                                  "--project-directory",
                                  project_dir().string(),
                                  "-f",
                                  (project_dir() / "docker-compose.yml").string(),
                                  "-p",
                                  "demo"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {{"DOCKER_HOST", "unix://" + socket().string()}});
  }

  // The page web serves from the volume db wrote to.
  [[nodiscard]] static std::string page() {
    return run_process({"/usr/bin/timeout", "5", "/bin/busybox", "wget", "-qO-",
                        "http://127.0.0.1:18080/index.html"})
        .out;
  }
};

TEST_F(ComposeTest, UpServesThroughTheVolumeAndPortAndDownLeavesNothing) {
  const auto up = compose({"up", "-d"});
  ASSERT_EQ(up.exit_code, 0) << up.err << daemon_log();
  const auto ps = compose({"ps"});
  EXPECT_NE(ps.out.find("demo_web_1"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("0.0.0.0:18080->8080/tcp"), std::string::npos) << ps.out;
  EXPECT_TRUE(eventually([] { return page() == "hello\n"; })) << page();
  const auto exec = compose({"exec", "-T", "db", "cat", "/data/index.html"});
  EXPECT_EQ(exec.out, "hello\n") << exec.err;
  const auto logs = compose({"logs", "db"});
  EXPECT_NE(logs.out.find("db-ready"), std::string::npos) << logs.out << logs.err;
  // Compose checks the network's aliases: the short id must be among them,
  // or it disconnects and reconnects on every start.
  const auto aliases = docker(
      {"inspect", "-f", "{{json .NetworkSettings.Networks.demo_back.Aliases}}", "demo_db_1"});
  const auto id = docker({"inspect", "-f", "{{.Id}}", "demo_db_1"}).out.substr(0, 12);
  EXPECT_EQ(aliases.out, "[\"db\",\"" + id + "\"]\n") << aliases.err;
  // httpd as PID 1 ignores SIGTERM: -t 1 keeps the restart short.
  const auto restarted = compose({"restart", "-t", "1", "web"});
  EXPECT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_TRUE(eventually([] { return page() == "hello\n"; }, std::chrono::seconds(20)))
      << docker({"ps", "-a"}).out << berth({"inspect", "demo_web_1"}).out << daemon_log();
  const auto down = compose({"down", "-v"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_TRUE(all_ids().empty());
  EXPECT_EQ(docker({"ps", "-aq", "--filter", "label=com.docker.compose.project=demo"}).out, "");
  EXPECT_EQ(docker({"volume", "ls", "-q"}).out, "");
  EXPECT_EQ(docker({"network", "ls", "-q", "--filter", "name=demo_back"}).out, "");
}

} // namespace
} // namespace berth::testing
