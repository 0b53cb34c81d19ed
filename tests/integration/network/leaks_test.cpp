// Nothing leaks: endpoints attached and detached many times, IPAM under
// concurrent starts and at exhaustion, and a monitor killed outright.
#include "network_fixture.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <set>

namespace berth::testing {
namespace {

using namespace std::chrono_literals;

class NetworkLeaks : public NetworkTest {
protected:
  // Fails the test if any veth, published-port element or held address is left.
  void expect_clean(const std::string &when) {
    const auto veths = endpoint_veths();
    EXPECT_TRUE(veths.empty()) << when << ": veth " << veths.front() << " left";
    const auto elements = port_elements();
    EXPECT_TRUE(elements.empty()) << when << ": " << elements.front() << " left";
    const auto held = held_addresses();
    EXPECT_TRUE(held.empty()) << when << ": address " << held.front() << " still held";
  }
};

// A /28 has 13 addresses for containers: if a detach kept its address, the
// loop would run out long before the end, and a kept port would fail the
// next -p of the same port.
TEST_F(NetworkLeaks, ManyAttachAndDetachCyclesLeaveNothing) {
  const auto net = unique("churn");
  create_network(net, {"--subnet", "10.95.0.0/28"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  constexpr int kCycles = 250;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const auto done = berth({"run", "--rm", "--network", net, "-p", "18091:80", kImage, "true"});
    ASSERT_EQ(done.exit_code, 0) << "cycle " << cycle << " of " << kCycles << ": " << done.err;
  }
  EXPECT_TRUE(all_ids().empty()) << "--rm left containers";
  expect_clean(std::to_string(kCycles) + " cycles of run --rm");
  EXPECT_TRUE(network_inspect(net)["Containers"].empty()) << network_inspect(net).dump(2);
}

TEST_F(NetworkLeaks, ConcurrentStartsNeverShareAnAddress) {
  const auto net = unique("tiny");
  create_network(net, {"--subnet", "10.94.0.0/29"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  // A /29 has 6 host addresses; the gateway takes one, 5 are for containers.
  std::vector<std::future<Completed>> runs;
  for (int i = 0; i < 5; ++i) {
    runs.push_back(std::async(std::launch::async, [&] {
      return berth({"run", "-d", "--network", net, kImage, "sleep", "1000"});
    }));
  }
  std::set<std::string> addresses;
  for (auto &run : runs) {
    const auto done = run.get();
    ASSERT_EQ(done.exit_code, 0) << done.err;
    const auto id = done.out.substr(0, 64);
    track(id);
    addresses.insert(address_of(id, net));
  }
  EXPECT_EQ(addresses.size(), 5U) << "two containers share an address";
  for (const auto &address : addresses) {
    EXPECT_TRUE(address.starts_with("10.94.0.") && address != "10.94.0.1") << address;
  }
}

TEST_F(NetworkLeaks, ExhaustedSubnetFailsRunClearly) {
  const auto net = unique("tiny");
  create_network(net, {"--subnet", "10.93.0.0/29"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  for (int i = 0; i < 5; ++i) {
    run_detached({"--network", net, kImage, "sleep", "1000"});
  }
  const auto error = run_fails({"-d", "--network", net, kImage, "sleep", "1000"});
  EXPECT_NE(error.find("no free address"), std::string::npos) << error;
  EXPECT_NE(error.find("10.93.0.0/29"), std::string::npos) << "name the subnet: " << error;
  EXPECT_NE(error.find("5 in use"), std::string::npos)
      << "a /29 less its gateway holds 5 containers: " << error;
  EXPECT_EQ(all_ids().size(), 5U) << "the failed run left a container";
  EXPECT_EQ(endpoint_veths().size(), 5U) << "the failed run left a veth";
  EXPECT_EQ(held_addresses().size(), 5U);
}

TEST_F(NetworkLeaks, KilledMonitorsEndpointIsCollectedByTheNextCommand) {
  const auto net = unique("crash");
  create_network(net, {"--subnet", "10.96.0.0/24"});
  const auto id = run_detached(
      {"--network", net, "--ip", "10.96.0.7", "-p", "18092:80", kImage, "sleep", "1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  ASSERT_EQ(endpoint_veths().size(), 1U);
  ASSERT_FALSE(port_elements().empty()) << "no nftables element for -p 18092:80";
  const auto state = state_file(id);
  const int monitor = state.value("monitorPid", 0);
  const int init = state.value("pid", 0);
  ASSERT_GT(monitor, 0) << state.dump();

  // The shim is this process's child (we are its subreaper): ours to kill.
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  ASSERT_TRUE(wait_child(monitor, 10s).exited);
  const auto listed = berth({"ps"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  expect_clean("after kill -9 of the shim and one berth ps");
  (void)wait_child(init, 10s);

  // The address and the port are free again: a new container takes both.
  const auto again = berth({"run", "-d", "--network", net, "--ip", "10.96.0.7", "-p", "18092:80",
                            kImage, "sleep", "1000"});
  EXPECT_EQ(again.exit_code, 0) << "10.96.0.7 or port 18092 still taken: " << again.err;
  track(again.out.substr(0, 64));
}

} // namespace
} // namespace berth::testing
