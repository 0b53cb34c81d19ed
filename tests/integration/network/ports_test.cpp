// Published ports: -p answers on the host's loopback and from another host,
// over TCP and UDP; a container reaches its own published port (hairpin);
// -P publishes what the image exposes; `berth port` shows it; a port that is
// taken fails run cleanly.
#include "network_fixture.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

class NetworkPorts : public NetworkTest {
protected:
  // A container that only sleeps, publishing flags (-p ...), for tests
  // whose server is the test itself inside the container's namespace.
  std::string start_sleeper(const std::vector<std::string> &flags) {
    std::vector<std::string> args = flags;
    args.insert(args.end(), {kImage, "sleep", "1000"});
    return run_detached(args);
  }
};

TEST_F(NetworkPorts, PublishedPortAnswersOnTheHostLoopback) {
  start_web({"-p", "18080:80"}, "hello-loopback");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto got = http_get("", "127.0.0.1", 18080);
  ASSERT_TRUE(got.ok) << "GET http://127.0.0.1:18080/ from the host: " << got.error;
  EXPECT_NE(got.reply.find("hello-loopback"), std::string::npos) << got.reply;
}

// The monitor frees its published ports before it lets go of its lock: a
// restart (which waits for that lock) binds them again at once. They used
// to stay bound until the monitor's process exited, and a restart under
// load failed with "host port ... is already in use".
TEST_F(NetworkPorts, RestartsBindThePublishedPortAgainEveryTime) {
  const auto id = start_sleeper({"-p", "18081:80"});
  for (int round = 0; round < 10; ++round) {
    const auto restarted = berth({"restart", "-t", "0", id});
    ASSERT_EQ(restarted.exit_code, 0) << "round " << round << ": " << restarted.err;
  }
  EXPECT_EQ(inspect(id)["State"]["Status"], "running");
}

TEST_F(NetworkPorts, PublishedPortAnswersFromAnotherHost) {
  start_web({"-p", "18081:80"}, "hello-outside");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto got = http_get(outside().string(), kHostSide, 18081);
  ASSERT_TRUE(got.ok) << "GET http://" << kHostSide << ":18081/ from the outside: " << got.error;
  EXPECT_NE(got.reply.find("hello-outside"), std::string::npos) << got.reply;
}

TEST_F(NetworkPorts, PortPublishedOnLoopbackOnlyIsClosedToOtherHosts) {
  start_web({"-p", "127.0.0.1:18082:80"}, "hello-local");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto local = http_get("", "127.0.0.1", 18082);
  ASSERT_TRUE(local.ok) << "GET http://127.0.0.1:18082/: " << local.error;
  EXPECT_NE(local.reply.find("hello-local"), std::string::npos) << local.reply;
  const auto remote = http_get(outside().string(), kHostSide, 18082);
  EXPECT_EQ(remote.reply.find("hello-local"), std::string::npos)
      << "a port published on 127.0.0.1 answered " << kHostSide << ": " << remote.reply;
}

// busybox nc has no UDP, so the server is this test's own socket, made
// inside the container's network namespace: the path a datagram takes (DNAT
// on the host, the veth, the container's interface) is the same.
TEST_F(NetworkPorts, PublishedUdpPortAnswersOnTheHostLoopback) {
  const auto id = start_sleeper({"-p", "15353:5353/udp"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  auto server = udp_bind(netns_of(id), 5353);
  const auto got = udp_exchange("", "127.0.0.1", 15353, server.get(), "ping");
  ASSERT_TRUE(got.ok) << "udp 127.0.0.1:15353 from the host: " << got.error;
  EXPECT_EQ(got.reply, "echo:ping");
}

TEST_F(NetworkPorts, PublishedUdpPortAnswersFromAnotherHost) {
  const auto id = start_sleeper({"-p", "15354:5353/udp"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  auto server = udp_bind(netns_of(id), 5353);
  const auto got = udp_exchange(outside().string(), kHostSide, 15354, server.get(), "ping");
  ASSERT_TRUE(got.ok) << "udp " << kHostSide << ":15354 from the outside: " << got.error;
  EXPECT_EQ(got.reply, "echo:ping");
}

TEST_F(NetworkPorts, ContainerReachesItsOwnPublishedPortThroughTheGateway) {
  const auto id = start_web({"-p", "18083:80"}, "hello-hairpin");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto fetched = berth(
      {"exec", id, "sh", "-c",
       "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + std::string(kBridgeGateway) + " 18083"});
  EXPECT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_NE(fetched.out.find("hello-hairpin"), std::string::npos)
      << "the container did not reach its own port at " << kBridgeGateway
      << ":18083 (hairpin): " << fetched.out << fetched.err;
}

TEST_F(NetworkPorts, PublishAllPublishesTheImagesExposedPorts) {
  load_exposed_image();
  const auto id = run_detached({"-P", kExposedImage, "sh", "-c",
                                "mkdir /www && echo hello-exposed > /www/index.html && "
                                "exec httpd -f -p 80 -h /www"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto shown = berth({"port", id, "80"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_match(shown.out, match, std::regex(R"(0\.0\.0\.0:(\d+)\n)")))
      << "berth port " << id.substr(0, 12) << " 80 printed: " << shown.out;
  const auto port = static_cast<std::uint16_t>(std::stoi(match[1].str()));
  const auto listed = berth({"port", id});
  EXPECT_NE(listed.out.find("5353/udp -> 0.0.0.0:"), std::string::npos)
      << "-P did not publish the exposed 5353/udp: " << listed.out;
  ASSERT_TRUE(eventually([&] { return can_connect(netns_of(id), "127.0.0.1", 80); }));
  const auto got = http_get("", "127.0.0.1", port);
  ASSERT_TRUE(got.ok) << "GET http://127.0.0.1:" << port << "/: " << got.error;
  EXPECT_NE(got.reply.find("hello-exposed"), std::string::npos) << got.reply;
}

TEST_F(NetworkPorts, PortListsEachMappingSortedByContainerPort) {
  const auto name = unique("mapped");
  start_sleeper({"--name", name, "-p", "15355:5353/udp", "-p", "18084:80"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto listed = berth({"port", name});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, "80/tcp -> 0.0.0.0:18084\n5353/udp -> 0.0.0.0:15355\n");
  const auto one = berth({"port", name, "5353/udp"});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "0.0.0.0:15355\n");
}

TEST_F(NetworkPorts, PortOfAnUnpublishedPortFails) {
  const auto name = unique("mapped");
  start_sleeper({"--name", name, "-p", "18085:80"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto missing = berth({"port", name, "81"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "no public port '81/tcp' published for " + name + "\n");
  const auto wrong_protocol = berth({"port", name, "80/udp"});
  EXPECT_EQ(wrong_protocol.exit_code, 1);
  EXPECT_EQ(wrong_protocol.err, "no public port '80/udp' published for " + name + "\n");
}

TEST_F(NetworkPorts, PortInUseFailsRunAndLeavesNothing) {
  auto taken = tcp_listen("", "0.0.0.0", 18086);
  const auto name = unique("late");
  const auto error = run_fails({"-d", "--name", name, "-p", "18086:80", kImage, "sleep", "1000"});
  EXPECT_NE(error.find("18086"), std::string::npos) << error;
  EXPECT_NE(error.find("in use"), std::string::npos) << error;

  EXPECT_TRUE(all_ids().empty()) << "run left a container behind";
  const auto veths = endpoint_veths();
  EXPECT_TRUE(veths.empty()) << "a failed run left veth " << veths.front();
  const auto elements = port_elements();
  EXPECT_TRUE(elements.empty()) << "a failed run left " << elements.front();
  const auto held = held_addresses();
  EXPECT_TRUE(held.empty()) << "a failed run left address " << held.front();
  EXPECT_TRUE(network_inspect("bridge")["Containers"].empty());
}

} // namespace
} // namespace berth::testing
