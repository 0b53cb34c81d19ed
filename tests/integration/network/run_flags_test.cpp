// run's network flags as the container sees them: --network none and host,
// its own name in /etc/hosts, --add-host, and --dns/--dns-search/--dns-option.
#include "network_fixture.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace berth::testing {
namespace {

class NetworkRunFlags : public NetworkTest {
protected:
  // What `cat FILE` prints in a throwaway container run with flags.
  std::string read_in_container(const std::vector<std::string> &flags, const std::string &file) {
    std::vector<std::string> args{"run", "--rm"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {kImage, "cat", file});
    const auto done = berth(args);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return done.out;
  }

  static bool has_line(const std::string &text, const std::string &pattern) {
    return std::regex_search(text, std::regex("(^|\n)" + pattern + "(\n|$)"));
  }
};

TEST_F(NetworkRunFlags, NoneNetworkHasOnlyLoopback) {
  const auto devices = read_in_container({"--network", "none"}, "/proc/net/dev");
  EXPECT_NE(devices.find("lo:"), std::string::npos) << devices;
  EXPECT_EQ(devices.find("eth0:"), std::string::npos) << "--network none has eth0: " << devices;
}

TEST_F(NetworkRunFlags, HostNetworkSharesTheHostsInterfaces) {
  const auto devices = read_in_container({"--network", "host"}, "/proc/net/dev");
  EXPECT_NE(devices.find("outside0:"), std::string::npos)
      << "--network host does not see this namespace's outside0: " << devices;
}

TEST_F(NetworkRunFlags, OwnAddressAndHostnameAreInEtcHosts) {
  const auto hosts = read_in_container({"--hostname", "myhost"}, "/etc/hosts");
  EXPECT_TRUE(has_line(hosts, R"(10\.87\.\d+\.\d+\s+myhost\b.*)"))
      << "no line for the container's own address and hostname: " << hosts;
}

TEST_F(NetworkRunFlags, AddHostWritesAnEtcHostsLine) {
  const auto hosts = read_in_container({"--add-host", "db:10.1.2.3"}, "/etc/hosts");
  EXPECT_TRUE(has_line(hosts, R"(10\.1\.2\.3\s+db)"))
      << "--add-host db:10.1.2.3 should give the line '10.1.2.3<TAB>db': " << hosts;
}

TEST_F(NetworkRunFlags, DnsFlagsWriteResolvConf) {
  const auto resolv = read_in_container(
      {"--dns", "10.0.0.53", "--dns-search", "example.test", "--dns-option", "ndots:2"},
      "/etc/resolv.conf");
  EXPECT_TRUE(has_line(resolv, R"(nameserver 10\.0\.0\.53)")) << resolv;
  EXPECT_TRUE(has_line(resolv, R"(search example\.test)")) << resolv;
  EXPECT_TRUE(has_line(resolv, R"(options ndots:2)")) << resolv;
}

} // namespace
} // namespace berth::testing
