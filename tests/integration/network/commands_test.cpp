// The network commands as a user sees them: create, ls (table, -q, JSON),
// inspect, rm, prune, and connect/disconnect of a running container.
#include "network_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

namespace berth::testing {
namespace {

class NetworkCommands : public NetworkTest {
protected:
  // The interface names in the container, from /proc/net/dev.
  std::string interfaces(const std::string &container) const {
    const auto listed = berth({"exec", container, "cat", "/proc/net/dev"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return listed.out;
  }
};

TEST_F(NetworkCommands, LsShowsTheStackNetworksAndCreatedOnes) {
  const auto net = unique("listed");
  const auto id = create_network(net);
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto listed = berth({"network", "ls"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto rows = lines(listed.out);
  ASSERT_EQ(rows.size(), 5U) << listed.out;
  EXPECT_TRUE(std::regex_match(rows[0], std::regex("NETWORK ID +NAME +DRIVER +SCOPE"))) << rows[0];
  EXPECT_TRUE(std::regex_match(rows[1], std::regex("[0-9a-f]{12} +bridge +bridge +local")))
      << rows[1];
  EXPECT_TRUE(std::regex_match(rows[2], std::regex("[0-9a-f]{12} +host +host +local"))) << rows[2];
  EXPECT_TRUE(
      std::regex_match(rows[3], std::regex(id.substr(0, 12) + " +" + net + " +bridge +local")))
      << "sorted by name, " << net << " comes third: " << rows[3];
  EXPECT_TRUE(std::regex_match(rows[4], std::regex("[0-9a-f]{12} +none +none +local"))) << rows[4];
}

TEST_F(NetworkCommands, LsQuietPrintsIdsAndNoTruncFullOnes) {
  const auto id = create_network(unique("quiet"));
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto quiet = berth({"network", "ls", "-q"});
  EXPECT_NE(quiet.out.find(id.substr(0, 12) + "\n"), std::string::npos) << quiet.out;
  EXPECT_EQ(quiet.out.find(id), std::string::npos) << "-q truncates ids: " << quiet.out;
  const auto full = berth({"network", "ls", "-q", "--no-trunc"});
  EXPECT_NE(full.out.find(id + "\n"), std::string::npos) << full.out;
}

TEST_F(NetworkCommands, LsJsonHasDockersFields) {
  const auto net = unique("json");
  create_network(net, {"--internal", "--label", "team=net"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto listed = berth({"network", "ls", "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto all = nlohmann::json::parse(listed.out, nullptr, false);
  ASSERT_TRUE(all.is_array()) << listed.out;
  nlohmann::json mine;
  for (const auto &network : all) {
    if (network.value("Name", "") == net) {
      mine = network;
    }
  }
  ASSERT_TRUE(mine.is_object()) << net << " not in " << listed.out;
  EXPECT_EQ(mine["Driver"], "bridge");
  EXPECT_EQ(mine["Scope"], "local");
  EXPECT_EQ(mine["Internal"], true);
  EXPECT_EQ(mine["Labels"]["team"], "net");
  EXPECT_EQ(mine.value("ID", "").size(), 12U) << mine.dump();
  EXPECT_FALSE(mine.value("CreatedAt", "").empty()) << mine.dump();
}

TEST_F(NetworkCommands, InspectShowsARunningContainerWithItsAddress) {
  const auto net = unique("seen");
  create_network(net, {"--subnet", "10.99.0.0/24"});
  const auto name = unique("member");
  const auto id = run_detached(
      {"--name", name, "--network", net, "--ip", "10.99.0.10", kImage, "sleep", "1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto shown = network_inspect(net);
  EXPECT_EQ(shown["Name"], net);
  EXPECT_EQ(shown["IPAM"]["Config"][0]["Subnet"], "10.99.0.0/24") << shown.dump(2);
  ASSERT_TRUE(shown["Containers"].contains(id)) << shown.dump(2);
  EXPECT_EQ(shown["Containers"][id]["Name"], name);
  EXPECT_EQ(shown["Containers"][id]["IPv4Address"], "10.99.0.10/24");
  EXPECT_EQ(address_of(id, net), "10.99.0.10") << "container inspect disagrees";
}

TEST_F(NetworkCommands, InspectOfAMissingNetworkFailsButPrintsTheOthers) {
  const auto net = unique("there");
  create_network(net);
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto done = berth({"network", "inspect", net, "no-such-net"});
  EXPECT_EQ(done.exit_code, 1);
  const auto list = nlohmann::json::parse(done.out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 1) << done.out;
  EXPECT_EQ(list[0]["Name"], net);
  EXPECT_EQ(lines(done.err).size(), 1U) << done.err;
  EXPECT_NE(done.err.find("no-such-net"), std::string::npos) << done.err;
}

TEST_F(NetworkCommands, ConnectAndDisconnectARunningContainer) {
  const auto net = unique("extra");
  create_network(net);
  const auto id = run_detached({kImage, "sleep", "1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  ASSERT_EQ(interfaces(id).find("eth1:"), std::string::npos) << "eth1 before connect";

  const auto connected = berth({"network", "connect", "--alias", "second", net, id});
  ASSERT_EQ(connected.exit_code, 0) << connected.err;
  EXPECT_NE(interfaces(id).find("eth1:"), std::string::npos) << "no eth1 after connect";
  EXPECT_FALSE(address_of(id, net).empty());
  EXPECT_TRUE(network_inspect(net)["Containers"].contains(id));

  const auto disconnected = berth({"network", "disconnect", net, id});
  ASSERT_EQ(disconnected.exit_code, 0) << disconnected.err;
  EXPECT_EQ(interfaces(id).find("eth1:"), std::string::npos) << "eth1 after disconnect";
  EXPECT_TRUE(network_inspect(net)["Containers"].empty());
  EXPECT_EQ(endpoint_veths().size(), 1U) << "only the default network's veth should be left";
}

TEST_F(NetworkCommands, RmPrintsEachNameAndFailsOnAMissingOne) {
  const auto first = unique("gone");
  const auto second = unique("gone");
  create_network(first);
  create_network(second);
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto removed = berth({"network", "rm", first, "no-such-net", second});
  EXPECT_EQ(removed.exit_code, 1);
  EXPECT_EQ(removed.out, first + "\n" + second + "\n");
  EXPECT_EQ(lines(removed.err).size(), 1U) << removed.err;
  EXPECT_NE(removed.err.find("no-such-net"), std::string::npos) << removed.err;
  const auto names = network_names();
  EXPECT_EQ(std::count(names.begin(), names.end(), first), 0);
}

TEST_F(NetworkCommands, RmOfAStackNetworkFails) {
  const auto removed = berth({"network", "rm", "bridge"});
  EXPECT_EQ(removed.exit_code, 1);
  EXPECT_EQ(lines(removed.err).size(), 1U) << removed.err;
  EXPECT_NE(removed.err.find("pre-defined"), std::string::npos) << removed.err;
}

TEST_F(NetworkCommands, PruneRemovesOnlyUnusedNetworks) {
  const auto idle = unique("idle");
  const auto busy = unique("busy");
  create_network(idle);
  create_network(busy);
  run_detached({"--network", busy, kImage, "sleep", "1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  const auto pruned = berth({"network", "prune", "-f"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(pruned.out, "Deleted Networks:\n" + idle + "\n");
  const auto again = berth({"network", "prune", "-f"});
  EXPECT_EQ(again.out, "") << "nothing to prune prints nothing, as docker";
  const auto names = network_names();
  EXPECT_EQ(std::count(names.begin(), names.end(), busy), 1);
}

TEST_F(NetworkCommands, EveryNetworkCommandHasHelp) {
  for (const char *command : {"create", "ls", "inspect", "rm", "connect", "disconnect", "prune"}) {
    const auto help = berth({"network", command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << ": " << help.err;
    EXPECT_TRUE(help.out.starts_with("Usage: berth network ")) << command << ": " << help.out;
  }
  const auto port = berth({"port", "--help"});
  EXPECT_EQ(port.exit_code, 0) << port.err;
  EXPECT_TRUE(port.out.starts_with("Usage: berth port ")) << port.out;
}

} // namespace
} // namespace berth::testing
