// The docker 20.10 CLI against berthd engine: what a Docker user types.
#include "docker_fixture.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace berth::testing {
namespace {

std::string read_text(const std::filesystem::path &file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(DockerApiTest, NegotiatesApi141AndReportsTheEngine) {
  const auto version = docker({"version", "--format", "{{.Server.APIVersion}}"});
  ASSERT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out, "1.41\n");
  const auto info = docker({"info", "--format", "{{.Driver}} {{.OSType}} {{.Images}}"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(info.out, "overlay2 linux 1\n");
}

TEST_F(DockerApiTest, SocketIsReadableByRootAndItsGroupOnly) {
  struct stat st {};
  ASSERT_EQ(::stat(socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660U);
  EXPECT_EQ(st.st_uid, 0U);
  EXPECT_EQ(st.st_gid, 0U); // --group root
}

TEST_F(DockerApiTest, RunPrintsOutputAndExitsWithTheProgramsCode) {
  const auto hello = docker({"run", "--rm", kImage, "sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(hello.exit_code, 0) << hello.err;
  EXPECT_EQ(hello.out, "out\n");
  EXPECT_EQ(hello.err, "err\n");
  EXPECT_EQ(docker({"run", "--rm", kImage, "sh", "-c", "exit 7"}).exit_code, 7);
  const auto missing = docker({"run", "--rm", kImage, "no-such-program"});
  EXPECT_EQ(missing.exit_code, 127) << missing.err;
  EXPECT_NE(missing.err.find("no-such-program"), std::string::npos) << missing.err;
  EXPECT_EQ(docker({"run", "--rm", kImage, "/etc/passwd"}).exit_code, 126);
  const auto refused = docker({"run", "--rm", "--privileged", kImage, "true"});
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("HostConfig.Privileged"), std::string::npos) << refused.err;
  // --rm containers are gone by the time docker returns, started or not.
  EXPECT_TRUE(all_ids().empty()) << berth({"ps", "-a"}).out;
}

TEST_F(DockerApiTest, InteractiveRunReadsStdin) {
  const auto echoed = run_process(
      {"/bin/sh", "-c",
       "printf 'one\\ntwo\\n' | /usr/bin/docker run -i --rm " + std::string(kImage) + " wc -l"},
      {{"DOCKER_HOST", "unix://" + socket().string()},
       {"DOCKER_CONFIG", (tmp().path() / "docker-config").string()}});
  EXPECT_EQ(echoed.exit_code, 0) << echoed.err;
  EXPECT_EQ(echoed.out, "2\n");
}

TEST_F(DockerApiTest, DetachedContainerLivesThroughPsLogsInspectStopAndRm) {
  const auto started =
      docker({"run", "-d", "--name", "web", kImage, "sh", "-c", "echo up; exec sleep 100"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  track(started.out.substr(0, 64));
  const auto ps = docker({"ps", "--format", "{{.Names}} {{.State}} {{.Image}}"});
  EXPECT_EQ(ps.out, "web running " + std::string(kImage) + "\n") << ps.err;
  EXPECT_TRUE(eventually([&] { return docker({"logs", "web"}).out == "up\n"; }));
  EXPECT_EQ(docker({"inspect", "-f", "{{.State.Running}} {{.Name}}", "web"}).out, "true /web\n");
  // One store: the berth CLI sees what the daemon made.
  EXPECT_EQ(berth({"ps", "--format", "{{.Names}}"}).out, "web\n");
  const auto stopped = docker({"stop", "-t", "1", "web"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(docker({"ps", "-a", "--format", "{{.State}}"}).out, "exited\n");
  const auto pruned = docker({"container", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_NE(pruned.out.find(started.out.substr(0, 64)), std::string::npos) << pruned.out;
  EXPECT_TRUE(all_ids().empty());
}

TEST_F(DockerApiTest, DockerSeesAndRemovesWhatTheCliMade) {
  const auto id = run_detached({"--name", "fromcli", "--label", "app=a", kImage, "sleep", "100"});
  run_detached({"--name", "other", "--label", "app=b", kImage, "sleep", "100"});
  const auto filtered = docker({"ps", "--filter", "label=app=a", "--format", "{{.ID}} {{.Names}}"});
  EXPECT_EQ(filtered.out, id.substr(0, 12) + " fromcli\n") << filtered.err;
  EXPECT_EQ(docker({"ps", "-q", "--filter", "name=oth"}).out.size(), 13U);
  const auto removed = docker({"rm", "-f", "fromcli", "other"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(all_ids().empty());
}

TEST_F(DockerApiTest, ContainersOutliveTheDaemonAndAReturningOneServesThem) {
  const auto started = docker({"run", "-d", "--name", "keep", kImage, "sleep", "100"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  track(started.out.substr(0, 64));
  stop_daemon();
  EXPECT_EQ(berth({"ps", "--format", "{{.Names}} {{.State}}"}).out, "keep running\n");
  start_daemon();
  EXPECT_EQ(docker({"ps", "--format", "{{.Names}}"}).out, "keep\n");
  EXPECT_EQ(docker({"kill", "keep"}).exit_code, 0);
  EXPECT_EQ(docker({"wait", "keep"}).out, "137\n");
}

TEST_F(DockerApiTest, MistakesGetDockersErrorsAndExitCodes) {
  const auto inspect = docker({"inspect", "no-such"});
  EXPECT_EQ(inspect.exit_code, 1);
  EXPECT_NE(inspect.err.find("No such object: no-such"), std::string::npos) << inspect.err;
  const auto stop = docker({"stop", "no-such"});
  EXPECT_EQ(stop.exit_code, 1);
  EXPECT_NE(stop.err.find("no-such"), std::string::npos) << stop.err;
  const auto image = docker({"create", "--pull", "never", "no-such-image:1"});
  EXPECT_EQ(image.exit_code, 1) << image.out;
  EXPECT_NE(image.err.find("No such image: no-such-image:1"), std::string::npos) << image.err;
  const auto filter = docker({"ps", "--filter", "colour=red"});
  EXPECT_NE(filter.exit_code, 0);
  EXPECT_NE(filter.err.find("invalid filter 'colour'"), std::string::npos) << filter.err;
}

TEST_F(DockerApiTest, DockerPyRunsWaitsAndStreamsLogs) {
  const auto script = R"(
import docker
client = docker.from_env()
assert client.version()["ApiVersion"] == "1.41"
assert client.containers.run("busybox:test", "echo hi", remove=True) == b"hi\n"
c = client.containers.run("busybox:test", "sh -c 'echo one; echo two >&2; exit 3'", detach=True)
assert c.wait() == {"Error": None, "StatusCode": 3}, c.wait()
assert c.logs() == b"one\ntwo\n", c.logs()
assert list(client.api.logs(c.id, stream=True, stderr=False)) == [b"one\n"]
c.remove()
print("ok")
)";
  const auto ran = python(script);
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "ok\n");
  EXPECT_TRUE(all_ids().empty());
}

TEST_F(DockerApiTest, UserNetworkResolvesNamesAndVolumesPersist) {
  ASSERT_EQ(docker({"network", "create", "--label", "team=a", "n1"}).exit_code, 0);
  EXPECT_EQ(docker({"network", "ls", "--filter", "label=team=a", "--format", "{{.Name}}"}).out,
            "n1\n");
  const auto server =
      docker({"run", "-d", "--network", "n1", "--name", "server", kImage, "sleep", "100"});
  ASSERT_EQ(server.exit_code, 0) << server.err;
  track(server.out.substr(0, 64));
  const auto ping =
      docker({"run", "--rm", "--network", "n1", kImage, "ping", "-c", "1", "-W", "2", "server"});
  EXPECT_EQ(ping.exit_code, 0) << ping.out << ping.err;
  const auto in_use = docker({"network", "rm", "n1"});
  EXPECT_NE(in_use.exit_code, 0);
  ASSERT_EQ(docker({"rm", "-f", "server"}).exit_code, 0);
  EXPECT_EQ(docker({"network", "rm", "n1"}).exit_code, 0);
  const auto missing = docker({"network", "inspect", "n1"});
  EXPECT_NE(missing.err.find("No such network: n1"), std::string::npos) << missing.err;

  ASSERT_EQ(docker({"volume", "create", "--label", "keep=yes", "store"}).out, "store\n");
  EXPECT_EQ(
      docker({"run", "--rm", "-v", "store:/d", kImage, "sh", "-c", "echo kept > /d/f"}).exit_code,
      0);
  EXPECT_EQ(docker({"run", "--rm", "-v", "store:/d", kImage, "cat", "/d/f"}).out, "kept\n");
  EXPECT_EQ(docker({"volume", "ls", "--filter", "label=keep=yes", "--format", "{{.Name}}"}).out,
            "store\n");
  EXPECT_EQ(docker({"volume", "inspect", "-f", "{{.Driver}}", "store"}).out, "local\n");
  EXPECT_EQ(docker({"volume", "rm", "store"}).exit_code, 0);
  EXPECT_EQ(berth({"volume", "ls", "-q"}).out, "");
}

TEST_F(DockerApiTest, ImagesAreTaggedListedWithHistoryAndRemoved) {
  ASSERT_EQ(docker({"tag", kImage, "copy:v1"}).exit_code, 0);
  auto listed = lines(docker({"images", "--format", "{{.Repository}}:{{.Tag}}"}).out);
  std::sort(listed.begin(), listed.end()); // two tags of one image: either order
  EXPECT_EQ(listed, (std::vector<std::string>{"busybox:test", "copy:v1"}));
  const auto history = docker({"history", "--format", "{{.ID}}", "copy:v1"});
  EXPECT_EQ(history.exit_code, 0) << history.err;
  EXPECT_FALSE(history.out.empty());
  const auto removed = docker({"rmi", "copy:v1"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_NE(removed.out.find("Untagged: copy:v1"), std::string::npos) << removed.out;
  const auto missing = docker({"rmi", "copy:v1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("No such image: copy:v1"), std::string::npos) << missing.err;
  EXPECT_EQ(berth({"images", "--format", "{{.Repository}}"}).out, "busybox\n");
}

// One engine serves many threads: concurrent clients each get their own
// output, and nothing is left behind. (This also caught logs -f skipping
// lines written between its first read and its follow.)
TEST_F(DockerApiTest, ConcurrentClientsEachGetTheirOutputAndLeaveNothing) {
  const auto script = R"(
import docker, threading
errors = []
def worker(i):
    client = docker.from_env(timeout=120)
    for j in range(5):
        try:
            out = client.containers.run("busybox:test", ["echo", f"{i}-{j}"], remove=True)
            if out != f"{i}-{j}\n".encode():
                errors.append((i, j, out))
        except Exception as error:
            errors.append((i, j, repr(error)))
threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(errors or "ok")
)";
  const auto ran = python(script);
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "ok\n");
  EXPECT_TRUE(all_ids().empty());
  EXPECT_TRUE(mounts_under(root() / "containers").empty());
}

TEST_F(DockerApiTest, TopAndStatsShowARunningContainer) {
  const auto started = docker({"run", "-d", "--name", "busy", "-m", "64m", kImage, "sleep", "100"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  track(started.out.substr(0, 64));
  const auto top = docker({"top", "busy"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.out.find("sleep 100"), std::string::npos) << top.out;
  const auto stats =
      docker({"stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}", "busy"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_TRUE(stats.out.starts_with("busy 1 ")) << stats.out;
  EXPECT_NE(stats.out.find("/ 64MiB"), std::string::npos) << stats.out;
  ASSERT_EQ(docker({"stop", "-t", "0", "busy"}).exit_code, 0);
  const auto stopped = docker({"top", "busy"});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.err.find("not running"), std::string::npos) << stopped.err;
}

TEST_F(DockerApiTest, CpCopiesBothWaysRunningOrStopped) {
  const auto host = tmp().path() / "cp";
  std::filesystem::create_directories(host / "src" / "sub");
  std::ofstream(host / "src" / "a.txt") << "one\n";
  std::ofstream(host / "src" / "sub" / "b.txt") << "two\n";
  std::filesystem::create_symlink("a.txt", host / "src" / "link");
  const auto started = docker(
      {"run", "-d", "--name", "c1", kImage, "sh", "-c", "echo inside > /f && exec sleep 100"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  track(started.out.substr(0, 64));
  ASSERT_TRUE(eventually([&] {
    return docker({"cp", "c1:/f", (host / "f").string()}).exit_code == 0;
  }));
  EXPECT_EQ(read_text(host / "f"), "inside\n");
  const auto in = docker({"cp", (host / "src").string(), "c1:/tmp/"});
  EXPECT_EQ(in.exit_code, 0) << in.err;
  EXPECT_EQ(berth({"exec", "c1", "cat", "/tmp/src/sub/b.txt"}).out, "two\n");
  EXPECT_EQ(berth({"exec", "c1", "readlink", "/tmp/src/link"}).out, "a.txt\n");
  const auto missing = docker({"cp", "c1:/no-such", (host / "x").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("No such container:path"), std::string::npos) << missing.err;
  ASSERT_EQ(docker({"stop", "-t", "0", "c1"}).exit_code, 0);
  const auto back = docker({"cp", "c1:/tmp/src", (host / "back").string()});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(read_text(host / "back" / "sub" / "b.txt"), "two\n");
  EXPECT_TRUE(std::filesystem::is_symlink(host / "back" / "link"));
}

TEST_F(DockerApiTest, ExecRunsInTheContainerWithItsStreamsAndExitCode) {
  const auto started = docker({"run", "-d", "--name", "c1", kImage, "sleep", "100"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  track(started.out.substr(0, 64));
  const auto hello = docker({"exec", "c1", "sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(hello.exit_code, 0) << hello.err;
  EXPECT_EQ(hello.out, "out\n");
  EXPECT_EQ(hello.err, "err\n");
  EXPECT_EQ(docker({"exec", "c1", "sh", "-c", "exit 3"}).exit_code, 3);
  EXPECT_EQ(docker({"exec", "-e", "K=V", "-w", "/tmp", "c1", "sh", "-c", "echo $K $(pwd)"}).out,
            "V /tmp\n");
  const auto piped =
      run_process({"/bin/sh", "-c", "printf 'a\\nb\\n' | /usr/bin/docker exec -i c1 wc -l"},
                  {{"DOCKER_HOST", "unix://" + socket().string()},
                   {"DOCKER_CONFIG", (tmp().path() / "docker-config").string()}});
  EXPECT_EQ(piped.out, "2\n") << piped.err;
  const auto terminal =
      run_process({"/usr/bin/script", "-qec", "/usr/bin/docker exec -it c1 tty", "/dev/null"},
                  {{"DOCKER_HOST", "unix://" + socket().string()},
                   {"DOCKER_CONFIG", (tmp().path() / "docker-config").string()}});
  EXPECT_EQ(terminal.exit_code, 0) << terminal.out << terminal.err;
  EXPECT_NE(terminal.out.find("/dev/pts/"), std::string::npos) << terminal.out;
  const auto missing = docker({"exec", "c1", "no-such-program"});
  EXPECT_EQ(missing.exit_code, 127) << missing.err;
  EXPECT_NE(missing.err.find("no-such-program"), std::string::npos) << missing.err;
  EXPECT_EQ(docker({"exec", "-d", "c1", "touch", "/tmp/detached"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return berth({"exec", "c1", "test", "-e", "/tmp/detached"}).exit_code == 0;
  }));
  ASSERT_EQ(docker({"stop", "-t", "0", "c1"}).exit_code, 0);
  const auto stopped = docker({"exec", "c1", "true"});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.err.find("is not running"), std::string::npos) << stopped.err;
}

} // namespace
} // namespace berth::testing
