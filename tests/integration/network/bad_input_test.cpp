// Bad input to the network commands and run's network flags: each is one
// line on stderr naming what was wrong, a non-zero exit, and no change to
// the networks or containers there were.
#include "network_fixture.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace berth::testing {
namespace {

class NetworkBadInput : public NetworkTest {
protected:
  void SetUp() override {
    NetworkTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      existing_ = unique("existing");
      create_network(existing_, {"--subnet", "10.91.0.0/24"});
    }
  }

  // What must not change: the networks (as listed) and the containers.
  [[nodiscard]] std::string snapshot() const {
    return berth({"network", "ls", "--format", "json", "--no-trunc"}).out + "containers:\n" +
           berth({"ps", "-aq", "--no-trunc"}).out;
  }

  // Runs args, expecting exit code, one stderr line containing wanted, and
  // no change.
  void expect_refused(const std::vector<std::string> &args, int code, const std::string &wanted) {
    const auto before = snapshot();
    const auto done = berth(args);
    std::string command;
    for (const auto &arg : args) {
      command += arg + " ";
    }
    EXPECT_EQ(done.exit_code, code)
        << command << "\nstdout: " << done.out << "stderr: " << done.err;
    EXPECT_EQ(lines(done.err).size(), 1U) << command << ": want one line, got: " << done.err;
    EXPECT_NE(done.err.find(wanted), std::string::npos)
        << command << ": the error should mention '" << wanted << "': " << done.err;
    EXPECT_EQ(snapshot(), before) << command << " changed the networks or containers";
  }

  std::string existing_;
};

TEST_F(NetworkBadInput, SubnetPrefixOutOfRange) {
  expect_refused({"network", "create", "--subnet", "10.0.0.0/33", unique("n")}, 1, "10.0.0.0/33");
}

TEST_F(NetworkBadInput, SubnetThatIsNotACidr) {
  expect_refused({"network", "create", "--subnet", "foo", unique("n")}, 1, "foo");
}

TEST_F(NetworkBadInput, SubnetOverlappingAnotherNetwork) {
  expect_refused({"network", "create", "--subnet", "10.91.0.128/25", unique("n")}, 1, "overlaps");
}

TEST_F(NetworkBadInput, SubnetOverlappingTheDefaultBridge) {
  expect_refused({"network", "create", "--subnet", "10.87.3.0/24", unique("n")}, 1, "overlaps");
}

TEST_F(NetworkBadInput, GatewayOutsideTheSubnet) {
  expect_refused(
      {"network", "create", "--subnet", "10.92.0.0/24", "--gateway", "10.93.0.1", unique("n")}, 1,
      "10.93.0.1");
}

TEST_F(NetworkBadInput, NameOfAnExistingNetwork) {
  expect_refused({"network", "create", existing_}, 1, existing_);
}

TEST_F(NetworkBadInput, NameOfAStackNetwork) {
  expect_refused({"network", "create", "bridge"}, 1, "bridge");
}

TEST_F(NetworkBadInput, NetworkNameWithBadCharacters) {
  expect_refused({"network", "create", "no/slashes"}, 1, "no/slashes");
}

TEST_F(NetworkBadInput, UnknownDriver) {
  expect_refused({"network", "create", "--driver", "warp", unique("n")}, 1, "warp");
}

TEST_F(NetworkBadInput, UnknownDriverOption) {
  expect_refused({"network", "create", "-o", "no_such_option=1", unique("n")}, 1, "no_such_option");
}

TEST_F(NetworkBadInput, RemovingANetworkInUse) {
  const auto id = run_detached({"--network", existing_, kImage, "sleep", "1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  expect_refused({"network", "rm", existing_}, 1, "in use");
  EXPECT_TRUE(network_inspect(existing_)["Containers"].contains(id));
}

TEST_F(NetworkBadInput, RunWithAnAddressOutsideTheSubnet) {
  expect_refused({"run", "-d", "--network", existing_, "--ip", "10.20.0.5", kImage, "true"}, 125,
                 "10.20.0.5");
}

TEST_F(NetworkBadInput, RunWithAnAddressThatIsNotIpv4) {
  expect_refused({"run", "-d", "--network", existing_, "--ip", "banana", kImage, "true"}, 125,
                 "--ip");
}

TEST_F(NetworkBadInput, RunWithAnAddressAlreadyTaken) {
  run_detached({"--network", existing_, "--ip", "10.91.0.9", kImage, "sleep", "1000"});
  ASSERT_FALSE(HasFailure()) << "setup failed; see above";
  expect_refused({"run", "-d", "--network", existing_, "--ip", "10.91.0.9", kImage, "true"}, 125,
                 "10.91.0.9");
}

TEST_F(NetworkBadInput, RunOnAnUnknownNetwork) {
  expect_refused({"run", "-d", "--network", "no-such-net", kImage, "true"}, 125, "no-such-net");
}

TEST_F(NetworkBadInput, RunWithBadPublishSpecs) {
  for (const char *spec : {"80:abc", "70000:80", "80/sctp", "1.2.3:80:80", ""}) {
    expect_refused({"run", "-d", "-p", spec, kImage, "true"}, 125, "--publish");
  }
}

TEST_F(NetworkBadInput, RunPublishingOnTheHostNetwork) {
  expect_refused({"run", "-d", "--network", "host", "-p", "8080:80", kImage, "true"}, 125,
                 "publish");
}

TEST_F(NetworkBadInput, RunWithABadAddHost) {
  expect_refused({"run", "-d", "--add-host", "nohost", kImage, "true"}, 125, "--add-host");
}

TEST_F(NetworkBadInput, RunWithAPortAlreadyInUse) {
  auto taken = tcp_listen("", "0.0.0.0", 18093);
  expect_refused({"run", "-d", "-p", "18093:80", kImage, "sleep", "1000"}, 125, "18093");
}

// Two berth roots in one network namespace (two engines on one host) cannot
// share a bridge: the second is refused before it adds an address or a rule
// to the first's, and the first's network keeps working.
TEST_F(NetworkBadInput, ABridgeThatAnotherRootsNetworkUses) {
  const auto mine = unique("mine");
  create_network(mine, {"-o", "bridge=brshared"});
  const auto addresses = [] {
    return run_process({"/usr/sbin/ip", "-4", "-o", "addr", "show", "dev", "brshared"}).out;
  };
  const auto before = addresses();
  ASSERT_NE(before.find("inet "), std::string::npos) << before;

  const TempDir other_root("berth-other-root");
  const auto other = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", other_root.path().string()});
    return run_berth(args);
  };
  const auto refused = other({"network", "create", "-o", "bridge=brshared", "theirs"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_EQ(lines(refused.err).size(), 1U) << refused.err;
  EXPECT_NE(refused.err.find("'brshared' already carries another network"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("-o bridge=NAME"), std::string::npos) << refused.err;
  EXPECT_NE(other({"network", "inspect", "theirs"}).exit_code, 0) << "the refused network stayed";
  EXPECT_EQ(addresses(), before) << "the refused network changed the bridge's addresses";

  const auto used = berth({"run", "--rm", "--network", mine, kImage, "true"});
  EXPECT_EQ(used.exit_code, 0) << used.err;
}

} // namespace
} // namespace berth::testing
