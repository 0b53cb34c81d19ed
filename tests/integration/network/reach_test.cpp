// Who reaches whom: peers on one user network by name, alias and address;
// nobody across networks; the default network by address; an --internal
// network keeps to itself; egress leaves with the host's address.
#include "network_fixture.hpp"

#include <gtest/gtest.h>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

class NetworkReach : public NetworkTest {
protected:
  // Fails the test unless a throwaway container with flags fetched body from host.
  void expect_fetches(const std::vector<std::string> &flags, const std::string &host,
                      const std::string &body, const std::string &what) {
    const auto fetched = fetch_from(flags, host);
    EXPECT_EQ(fetched.exit_code, 0) << what << ": " << fetched.err;
    EXPECT_NE(fetched.out.find(body), std::string::npos)
        << what << ": the reply lacks '" << body << "': " << fetched.out << fetched.err;
  }
};

TEST_F(NetworkReach, PeersOnAUserNetworkReachEachOtherByName) {
  const auto net = unique("front");
  create_network(net);
  const auto server = unique("web");
  start_web({"--name", server, "--network", net}, "hello-" + server);
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  expect_fetches({"--network", net}, server, "hello-" + server,
                 "a peer on " + net + " fetching http://" + server + "/ by name");
}

TEST_F(NetworkReach, PeersOnAUserNetworkReachEachOtherByAddress) {
  const auto net = unique("front");
  create_network(net);
  const auto server = start_web({"--network", net}, "hello-by-address");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto address = address_of(server, net);
  ASSERT_FALSE(address.empty());
  expect_fetches({"--network", net}, address, "hello-by-address",
                 "a peer on " + net + " fetching http://" + address + "/");
}

TEST_F(NetworkReach, NetworkAliasResolvesForPeers) {
  const auto net = unique("front");
  create_network(net);
  start_web({"--network", net, "--network-alias", "api-alias"}, "hello-alias");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  expect_fetches({"--network", net}, "api-alias", "hello-alias",
                 "a peer on " + net + " fetching http://api-alias/ (a --network-alias)");
}

TEST_F(NetworkReach, ContainerOnAnotherNetworkCannotReachByAddress) {
  const auto net = unique("inside");
  const auto other = unique("elsewhere");
  create_network(net);
  create_network(other);
  const auto server = start_web({"--network", net}, "hello-private");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto address = address_of(server, net);
  ASSERT_FALSE(address.empty());
  // The server answers its own network's peers, so a failure below is isolation.
  expect_fetches({"--network", net}, address, "hello-private", "control: a peer on " + net);
  const auto crossed = fetch_from({"--network", other}, address);
  EXPECT_NE(crossed.exit_code, 0) << "a container on " << other << " reached " << address << " on "
                                  << net << ": " << crossed.out;
  EXPECT_EQ(crossed.out.find("hello-private"), std::string::npos) << crossed.out;
}

TEST_F(NetworkReach, DefaultNetworkReachesByAddress) {
  const auto server = start_web({}, "hello-default");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto address = address_of(server, "bridge");
  ASSERT_TRUE(address.starts_with("10.87.")) << "not in default.yaml's 10.87.0.0/16: " << address;
  expect_fetches({}, address, "hello-default", "a peer on the default network by address");
}

TEST_F(NetworkReach, InternalNetworkHasNoEgress) {
  const auto net = unique("sealed");
  create_network(net, {"--internal"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  auto listener = tcp_listen(outside().string(), kOutsidePeer, 7001);
  // Control: the outside answers this namespace, so silence below is --internal's.
  ASSERT_TRUE(can_connect("", kOutsidePeer, 7001)) << "the outside namespace is unreachable";
  ASSERT_TRUE(accept_peer(listener.get(), 1s).has_value());

  const auto tried = berth({"run", "--rm", "--network", net, kImage, "sh", "-c",
                            "echo hi | nc -w 2 " + std::string(kOutsidePeer) + " 7001"});
  EXPECT_NE(tried.exit_code, 0) << "a container on --internal " << net << " connected out";
  const auto peer = accept_peer(listener.get(), 0ms);
  EXPECT_FALSE(peer.has_value()) << "the outside saw a connection from " << peer.value_or("")
                                 << " off an --internal network";
}

TEST_F(NetworkReach, InternalNetworkPeersStillTalk) {
  const auto net = unique("sealed");
  create_network(net, {"--internal"});
  const auto server = unique("vault");
  start_web({"--name", server, "--network", net}, "hello-internal");
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  expect_fetches({"--network", net}, server, "hello-internal",
                 "a peer on --internal " + net + " by name");
}

TEST_F(NetworkReach, EgressLeavesWithTheHostAddress) {
  auto listener = tcp_listen(outside().string(), kOutsidePeer, 7002);
  const auto client = run_detached(
      {kImage, "sh", "-c", "echo hi | nc " + std::string(kOutsidePeer) + " 7002; sleep 1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto peer = accept_peer(listener.get(), 10s);
  ASSERT_TRUE(peer.has_value()) << "the container's connection never reached the outside";
  EXPECT_EQ(*peer, kHostSide) << "the outside saw the container's own address (it is "
                              << address_of(client, "bridge") << "): no masquerade";
}

} // namespace
} // namespace berth::testing
