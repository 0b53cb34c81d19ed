// The conformance kit for network drivers: the promises berth's network
// manager relies on when it puts containers on networks through a plugin.
//
//   #include <berth/sdk/testing/network_conformance.hpp>
//   extern "C" const berth_plugin_descriptor *berth_plugin(void);
//   INSTANTIATE_TEST_SUITE_P(MyDriver, berth::sdk::testing::NetworkDriverConformance,
//                            ::testing::Values(&berth_plugin));
//
// A driver that needs options names them (merged over its schema's
// defaults, they go to create() and into every Network's options), with a
// label for the test names, and may bring its own HostServices (a TestHost,
// with its in-memory IPAM, by default):
//
//   ::testing::Values(NetworkDriverParam{&berth_plugin, {{"mtu", 1400}}, "mtu1400"})
//
// The cases work the kernel for real, so they need root. Before its first
// case the suite moves the test process into a network and a mount namespace
// of its own (nothing reaches the host's; after its last case the process
// goes back to the network namespace it came from), and each test into a
// fresh network namespace with loopback up: that is the driver's "host". The kit makes the
// containers' namespaces itself, bind-mounted under a fresh /tmp directory as
// berth does, and checks what the kernel has there (links, addresses,
// routes) rather than what the driver says. Cases that a capability rules
// out are skipped with the reason; a driver that answers "skip" on this host
// is skipped whole. A test removes every attachment, endpoint, network and
// namespace it made, even when it fails.
#pragma once

#include <berth/sdk/ipv4.hpp>
#include <berth/sdk/network.hpp>
#include <berth/sdk/testing/netns.hpp>
#include <berth/sdk/testing/plugin_conformance.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace berth::sdk::testing {

// What the kit runs against: the plugin's entry point, the options berth
// would pass it (merged over its schema's defaults), a label for the test
// names (the plugin's own name when empty) and the HostServices to create it
// with (a fresh TestHost per test when empty). An entry point alone converts.
struct NetworkDriverParam {
  NetworkDriverParam(EntryPoint entry_point, // NOLINT: implicit by design
                     nlohmann::json plugin_options = nlohmann::json::object(),
                     std::string test_label = {},
                     std::function<std::shared_ptr<HostServices>()> host_factory = {})
      : entry(entry_point), options(std::move(plugin_options)), label(std::move(test_label)),
        make_host(std::move(host_factory)) {}

  EntryPoint entry;
  nlohmann::json options;
  std::string label;
  // Called once per test; the driver is destroyed before the host is let go.
  std::function<std::shared_ptr<HostServices>()> make_host;

  [[nodiscard]] std::string name() const { return label.empty() ? entry()->name : label; }
  friend void PrintTo( // NOLINT(readability-identifier-naming): gtest's name
      const NetworkDriverParam &param, std::ostream *out) {
    *out << param.name() << " " << param.options.dump();
  }
};

// Test names from the labels ("my-bridge" -> my_bridge).
struct NetworkDriverLabel {
  std::string operator()(const ::testing::TestParamInfo<NetworkDriverParam> &info) const {
    std::string name = info.param.name();
    for (char &c : name) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
        c = '_';
      }
    }
    return name;
  }
};

namespace network_kit {

// How long a connection that should work may take.
inline constexpr std::chrono::milliseconds kPatience{5000};
// How long to wait for one that should fail.
inline constexpr std::chrono::milliseconds kRefusal{2000};
// Where the containers' servers listen.
inline constexpr std::uint16_t kContainerPort = 8080;

template <class T> bool failed_with(const Result<T> &result, Errc code) {
  return !result.ok() && result.error().code == code;
}

template <class T> std::string outcome(const Result<T> &result) {
  if (result.ok()) {
    return "ok";
  }
  return std::string(errc_name(result.error().code)) + ": " + result.error().describe();
}

// digits random hex digits, for network, endpoint and container ids.
inline std::string random_hex(std::size_t digits) {
  static std::mt19937_64 generator{std::random_device{}()};
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) {
    out += kHex[generator() % kHex.size()];
  }
  return out;
}

// "10.90.0.0/24" in canonical form, or the text itself when it is none.
inline std::string canonical_subnet(const std::string &text) {
  auto subnet = Ipv4Subnet::parse(text);
  return subnet.ok() ? subnet->str() : text;
}

// The HostServices a driver gets in the kit: the param's, with its Ipam
// watched, so that the kit can look up a network's allocations under
// whatever key the driver claimed the network's pool with.
class KitHost final : public HostServices {
public:
  explicit KitHost(std::shared_ptr<HostServices> inner)
      : inner_(std::move(inner)), ipam_(inner_->ipam()) {}

  Logger &logger() noexcept override { return inner_->logger(); }
  Result<std::filesystem::path> state_dir() noexcept override { return inner_->state_dir(); }
  KeyValueStore &kv() noexcept override { return inner_->kv(); }
  [[nodiscard]] std::chrono::system_clock::time_point now() const noexcept override {
    return inner_->now();
  }
  [[nodiscard]] bool cancelled() const noexcept override { return inner_->cancelled(); }
  Ipam &ipam() noexcept override { return ipam_; }

  // (address, owner) of every address in use in the pool the driver claimed
  // for subnet; none when it claimed no pool there.
  Result<std::vector<std::pair<std::string, std::string>>>
  allocations_in(const std::string &subnet) {
    auto key = ipam_.key_of(canonical_subnet(subnet));
    if (!key) {
      return std::vector<std::pair<std::string, std::string>>{};
    }
    return inner_->ipam().allocations(*key);
  }

private:
  class WatchedIpam final : public Ipam {
  public:
    explicit WatchedIpam(Ipam &inner) : inner_(inner) {}

    Result<AddressPool> request_pool(std::string_view network, std::string_view subnet,
                                     std::string_view gateway) noexcept override {
      auto pool = inner_.request_pool(network, subnet, gateway);
      if (pool.ok()) {
        try {
          const std::lock_guard lock(mutex_);
          keys_[canonical_subnet(pool->subnet)] = network;
        } catch (...) { // NOLINT(bugprone-empty-catch): only the kit's bookkeeping is lost
        }
      }
      return pool;
    }
    Result<void> release_pool(std::string_view network) noexcept override {
      return inner_.release_pool(network);
    }
    Result<std::string> request_address(std::string_view network, std::string_view owner,
                                        std::string_view address) noexcept override {
      return inner_.request_address(network, owner, address);
    }
    Result<void> release_address(std::string_view network,
                                 std::string_view owner) noexcept override {
      return inner_.release_address(network, owner);
    }
    Result<std::vector<std::pair<std::string, std::string>>>
    allocations(std::string_view network) noexcept override {
      return inner_.allocations(network);
    }

    std::optional<std::string> key_of(const std::string &subnet) {
      const std::lock_guard lock(mutex_);
      auto it = keys_.find(subnet);
      return it == keys_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }

  private:
    Ipam &inner_;
    std::mutex mutex_;
    std::map<std::string, std::string> keys_; // subnet -> the network key of its pool
  };

  std::shared_ptr<HostServices> inner_;
  WatchedIpam ipam_;
};

using NetworkDriverUnderTest = PluginUnderTest<NetworkDriver>;

} // namespace network_kit

class NetworkDriverConformance : public ::testing::TestWithParam<NetworkDriverParam> {
protected:
  // One container on one network: its endpoint, its namespace ("" when the
  // driver needs none) and what attach was asked and answered.
  struct Container {
    Network network;
    Endpoint endpoint;
    std::filesystem::path netns;
    AttachRequest request;
    AttachResult result;
  };

  using Allocations = std::vector<std::pair<std::string, std::string>>;
  using Links = std::map<std::string, netns::Link>;

  struct Sandbox {
    std::string error;       // why the suite could not enter its namespaces
    int original_netns = -1; // where the process was before
  };
  static Sandbox &sandbox() {
    static Sandbox state;
    return state;
  }

  // Before anything else: a network namespace of the suite's own with
  // loopback up, and a mount namespace whose mounts (the containers'
  // namespaces) never propagate to the host's.
  static void SetUpTestSuite() {
    auto &s = sandbox();
    s.error.clear();
    s.original_netns = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
      s.error = errno_error("unshare(CLONE_NEWNET | CLONE_NEWNS)", "the test process").describe();
    } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      s.error = errno_error("mount(MS_REC | MS_PRIVATE)", "/").describe();
    } else if (auto up = netns::loopback_up(); !up.ok()) {
      s.error = up.error().describe();
    }
  }

  // Back to the network namespace the process came from, so that suites
  // run after this one in the same process find the network they expect.
  static void TearDownTestSuite() {
    auto &s = sandbox();
    if (s.original_netns >= 0) {
      if (::setns(s.original_netns, CLONE_NEWNET) != 0) {
        ADD_FAILURE() << errno_error("setns(CLONE_NEWNET)", "the original namespace").describe();
      }
      ::close(s.original_netns);
      s.original_netns = -1;
    }
  }

  void SetUp() override {
    ASSERT_EQ(sandbox().error, "")
        << "the network kit runs in network and mount namespaces of its own and needs root";
    // A fresh namespace per test, so that one test's leftovers never meet
    // the next even when all of them run in one process.
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0)
        << errno_error("unshare(CLONE_NEWNET)", "the test").describe();
    auto up = netns::loopback_up();
    ASSERT_TRUE(up.ok()) << up.error().describe();
    std::string pattern = "/tmp/berth-network-kit-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    work_ = pattern;

    const auto &param = GetParam();
    ASSERT_TRUE(param.options.is_object())
        << "the kit's options must be a JSON object, not " << param.options.dump();
    options_ = default_options(*param.entry());
    options_.update(param.options);
    auto inner = param.make_host ? param.make_host() : std::make_shared<TestHost>();
    ASSERT_NE(inner, nullptr) << "make_host returned no HostServices";
    host_ = std::make_shared<network_kit::KitHost>(std::move(inner));
    driver_ = std::make_unique<network_kit::NetworkDriverUnderTest>(param.entry, options_, *host_);
    if (!driver_->skip_reason().empty()) {
      GTEST_SKIP() << "cannot run on this host: " << driver_->skip_reason();
    }
    ASSERT_TRUE(driver_->ok()) << "create failed: " << driver_->error();
    caps_ = driver().capabilities();
  }

  // Undoes what the test made, newest first, as berth would: detach, delete
  // the endpoints, delete the networks. Each may repeat what the test did.
  void TearDown() override {
    if (driver_ != nullptr && driver_->ok()) {
      std::for_each(attachments_.rbegin(), attachments_.rend(), [this](const Container &c) {
        (void)driver().detach(c.network, c.request, c.result);
      });
      std::for_each(endpoints_.rbegin(), endpoints_.rend(), [this](const auto &made) {
        (void)driver().delete_endpoint(made.first, made.second);
      });
      std::for_each(networks_.rbegin(), networks_.rend(),
                    [this](const Network &network) { (void)driver().delete_network(network); });
    }
    driver_.reset(); // before the host it was made with
    host_.reset();
    for (const auto &ns : namespaces_) {
      netns::remove(ns);
    }
    if (!work_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(work_, ignored);
    }
  }

  NetworkDriver &driver() { return **driver_; }
  [[nodiscard]] const NetworkCapabilities &caps() const { return caps_; }

  // A network not created yet, with a name and id no other test uses.
  Network new_network(const std::string &subnet = {}) {
    Network network;
    network.name = "kit" + std::to_string(::getpid()) + "-" + std::to_string(++made_);
    network.id = network_kit::random_hex(64);
    network.options = options_;
    network.subnet = subnet;
    return network;
  }

  static Endpoint new_endpoint(const std::string &address = {}) {
    Endpoint endpoint;
    endpoint.id = network_kit::random_hex(64);
    endpoint.container = network_kit::random_hex(64);
    endpoint.address = address;
    return endpoint;
  }

  static AttachRequest request_for(const Endpoint &endpoint, const std::filesystem::path &ns,
                                   std::vector<PortMapping> ports = {}) {
    return AttachRequest{endpoint, ns.string(), "eth0", std::move(ports), {}};
  }

  // The driver's calls, each recorded for TearDown before it is made.
  Result<Network> create_network(const Network &spec) {
    networks_.push_back(spec);
    auto made = driver().create_network(spec);
    if (made.ok()) {
      networks_.back() = *made;
    }
    return made;
  }

  Result<Endpoint> create_endpoint(const Network &network, const Endpoint &spec) {
    endpoints_.emplace_back(network, spec);
    auto made = driver().create_endpoint(network, spec);
    if (made.ok()) {
      endpoints_.back().second = *made;
    }
    return made;
  }

  Result<AttachResult> attach(const Network &network, const AttachRequest &request) {
    attachments_.push_back({network, request.endpoint, request.netns_path, request, {}});
    auto made = driver().attach(network, request);
    if (made.ok()) {
      attachments_.back().result = *made;
    }
    return made;
  }

  // The steps every case takes, asserting that each works.
  void make_network(Network &out, const std::string &subnet = {}) {
    auto made = create_network(new_network(subnet));
    ASSERT_TRUE(made.ok()) << "create_network: " << network_kit::outcome(made);
    out = *made;
    if (caps_.provides_address) {
      auto parsed = Ipv4Subnet::parse(out.subnet);
      ASSERT_TRUE(parsed.ok()) << "create_network must fill in the subnet: "
                               << network_kit::outcome(parsed);
      const auto gateway = Ipv4::parse(out.gateway);
      ASSERT_TRUE(gateway && parsed->is_host(*gateway))
          << "create_network must fill in a gateway inside " << out.subnet << ", not '"
          << out.gateway << "'";
    }
  }

  void make_endpoint(const Network &network, Endpoint &out, const std::string &address = {}) {
    auto made = create_endpoint(network, new_endpoint(address));
    ASSERT_TRUE(made.ok()) << "create_endpoint: " << network_kit::outcome(made);
    out = *made;
  }

  // A namespace for a container, or none when the driver needs none.
  void make_netns(std::filesystem::path &out) {
    out.clear();
    if (!caps_.needs_netns) {
      return;
    }
    out = work_ / ("netns" + std::to_string(namespaces_.size()));
    auto made = netns::create(out);
    ASSERT_TRUE(made.ok()) << made.error().describe();
    namespaces_.push_back(out);
  }

  // An endpoint on network, a namespace, and the endpoint attached there as
  // eth0.
  void start_container(const Network &network, Container &out,
                       std::vector<PortMapping> ports = {}) {
    out.network = network;
    ASSERT_NO_FATAL_FAILURE(make_endpoint(network, out.endpoint));
    ASSERT_NO_FATAL_FAILURE(make_netns(out.netns));
    out.request = request_for(out.endpoint, out.netns, std::move(ports));
    auto attached = attach(network, out.request);
    ASSERT_TRUE(attached.ok()) << "attach: " << network_kit::outcome(attached);
    out.result = *attached;
  }

  // What the kernel has: in a container's namespace, or in the test's own
  // (the driver's host) for "".
  static Links links_in(const std::filesystem::path &ns) {
    auto links = ns.empty() ? netns::links() : netns::in_netns(ns, [] { return netns::links(); });
    EXPECT_TRUE(links.ok()) << links.error().describe();
    return links.ok() ? *links : Links{};
  }

  static std::vector<netns::Route> routes_in(const std::filesystem::path &ns) {
    auto routes =
        ns.empty() ? netns::routes() : netns::in_netns(ns, [] { return netns::routes(); });
    EXPECT_TRUE(routes.ok()) << routes.error().describe();
    return routes.ok() ? *routes : std::vector<netns::Route>{};
  }

  static std::set<std::string> host_links() { return netns::names(links_in({})); }

  Allocations allocations(const Network &network) {
    auto in_use = host_->allocations_in(network.subnet);
    EXPECT_TRUE(in_use.ok()) << "allocations: " << network_kit::outcome(in_use);
    return in_use.ok() ? *in_use : Allocations{};
  }

  // Every interface attach returned is in ns, with the MAC and IPv4
  // addresses it returned; every route it returned is in ns's table.
  static void expect_result_matches_kernel(const std::filesystem::path &ns,
                                           const AttachResult &result) {
    const auto links = links_in(ns);
    for (const auto &interface : result.interfaces) {
      const auto link = links.find(interface.name);
      if (link == links.end()) {
        ADD_FAILURE() << "attach returned interface " << interface.name
                      << ", which the namespace does not have";
        continue;
      }
      if (!interface.mac.empty()) {
        std::string mac = interface.mac;
        std::transform(mac.begin(), mac.end(), mac.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        EXPECT_EQ(mac, link->second.mac) << interface.name << "'s MAC";
      }
      std::set<std::string> returned;
      for (const auto &address : interface.addresses) {
        if (address.find('.') != std::string::npos) {
          returned.insert(address);
        }
      }
      EXPECT_EQ(returned, link->second.addresses) << interface.name << "'s IPv4 addresses";
    }
    const auto table = routes_in(ns);
    for (const auto &route : result.routes) {
      const auto destination = network_kit::canonical_subnet(route.destination);
      const bool found = std::any_of(table.begin(), table.end(), [&](const netns::Route &r) {
        return r.destination == destination && r.gateway == route.gateway;
      });
      EXPECT_TRUE(found) << "attach returned the route " << route.destination << " via '"
                         << route.gateway << "', which the namespace does not have; it has "
                         << ::testing::PrintToString(table);
    }
  }

  std::filesystem::path work_;
  nlohmann::json options_;
  std::shared_ptr<network_kit::KitHost> host_;
  std::unique_ptr<network_kit::NetworkDriverUnderTest> driver_;
  NetworkCapabilities caps_;
  int made_ = 0;
  std::vector<Network> networks_;
  std::vector<std::pair<Network, Endpoint>> endpoints_;
  std::deque<Container> attachments_;
  std::vector<std::filesystem::path> namespaces_;
};

// Skips a case that a capability rules out.
#define BERTH_NETWORK_KIT_NEEDS(CAPABILITY)                                                        \
  if (!caps().CAPABILITY) {                                                                        \
    GTEST_SKIP() << GetParam().name() << ": capabilities()." #CAPABILITY " is false";              \
  }

TEST_P(NetworkDriverConformance, CreatingANetworkAgainSucceedsAndKeepsItsSubnet) {
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  // What berth does after a reboot: create again what it has on record.
  auto again = create_network(network);
  ASSERT_TRUE(again.ok()) << network_kit::outcome(again);
  EXPECT_EQ(again->subnet, network.subnet);
  EXPECT_EQ(again->gateway, network.gateway);
}

TEST_P(NetworkDriverConformance, DeletingANetworkTwiceSucceeds) {
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  auto deleted = driver().delete_network(network);
  ASSERT_TRUE(deleted.ok()) << network_kit::outcome(deleted);
  auto again = driver().delete_network(network);
  EXPECT_TRUE(again.ok()) << "a repeated delete_network: " << network_kit::outcome(again);
}

TEST_P(NetworkDriverConformance, DeletingANetworkNeverCreatedSucceeds) {
  auto deleted = driver().delete_network(new_network());
  EXPECT_TRUE(deleted.ok()) << network_kit::outcome(deleted);
}

TEST_P(NetworkDriverConformance, DeletingAnEndpointTwiceSucceedsAndFreesItsAddress) {
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Endpoint endpoint;
  ASSERT_NO_FATAL_FAILURE(make_endpoint(network, endpoint));
  auto deleted = driver().delete_endpoint(network, endpoint);
  ASSERT_TRUE(deleted.ok()) << network_kit::outcome(deleted);
  auto again = driver().delete_endpoint(network, endpoint);
  EXPECT_TRUE(again.ok()) << "a repeated delete_endpoint: " << network_kit::outcome(again);
  EXPECT_EQ(allocations(network), Allocations{}) << "delete_endpoint gives the address back";
}

TEST_P(NetworkDriverConformance, EndpointsGetDistinctAddressesInsideTheSubnet) {
  BERTH_NETWORK_KIT_NEEDS(provides_address);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  std::array<Endpoint, 2> endpoints;
  for (auto &endpoint : endpoints) {
    ASSERT_NO_FATAL_FAILURE(make_endpoint(network, endpoint));
  }
  const auto subnet = Ipv4Subnet::parse(network.subnet).value();
  for (const auto &endpoint : endpoints) {
    const auto address = Ipv4::parse(endpoint.address);
    ASSERT_TRUE(address) << "'" << endpoint.address << "' is no IPv4 address (without a prefix)";
    EXPECT_TRUE(subnet.is_host(*address)) << endpoint.address << " is outside " << network.subnet;
    EXPECT_NE(endpoint.address, network.gateway) << "an endpoint got the gateway's address";
  }
  EXPECT_NE(endpoints[0].address, endpoints[1].address);
}

TEST_P(NetworkDriverConformance, AnEndpointCreatedAgainKeepsItsAddress) {
  BERTH_NETWORK_KIT_NEEDS(provides_address);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  const auto spec = new_endpoint();
  auto first = create_endpoint(network, spec);
  ASSERT_TRUE(first.ok()) << network_kit::outcome(first);
  auto again = create_endpoint(network, spec);
  ASSERT_TRUE(again.ok()) << "the same endpoint again: " << network_kit::outcome(again);
  EXPECT_EQ(again->address, first->address) << "the same endpoint id keeps its address";
}

TEST_P(NetworkDriverConformance, ARequestedAddressIsHonoured) {
  BERTH_NETWORK_KIT_NEEDS(provides_address);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  // The last host address: not the one a driver would hand out first.
  const auto subnet = Ipv4Subnet::parse(network.subnet).value();
  const auto wanted = Ipv4{subnet.broadcast().value - 1}.str();
  ASSERT_NE(wanted, network.gateway);
  auto made = create_endpoint(network, new_endpoint(wanted));
  ASSERT_TRUE(made.ok()) << network_kit::outcome(made);
  EXPECT_EQ(made->address, wanted);
}

TEST_P(NetworkDriverConformance, AnAddressAlreadyTakenFailsWithAlreadyExists) {
  BERTH_NETWORK_KIT_NEEDS(provides_address);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Endpoint first;
  ASSERT_NO_FATAL_FAILURE(make_endpoint(network, first));
  auto second = create_endpoint(network, new_endpoint(first.address));
  EXPECT_TRUE(network_kit::failed_with(second, Errc::already_exists))
      << "a second endpoint asking for " << first.address << ": " << network_kit::outcome(second);
}

TEST_P(NetworkDriverConformance, ASlash29RunsOutAfterItsFiveFreeAddresses) {
  BERTH_NETWORK_KIT_NEEDS(provides_address);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network, "10.123.0.0/29"));
  ASSERT_EQ(network.subnet, "10.123.0.0/29") << "the subnet asked for";
  // 8 addresses; the network's, the broadcast and the gateway leave 5.
  const auto subnet = Ipv4Subnet::parse(network.subnet).value();
  std::set<std::string> usable;
  for (auto value = subnet.network().value; value <= subnet.broadcast().value; ++value) {
    if (subnet.is_host(Ipv4{value}) && Ipv4{value}.str() != network.gateway) {
      usable.insert(Ipv4{value}.str());
    }
  }
  ASSERT_EQ(usable.size(), 5U);
  std::array<Endpoint, 5> endpoints;
  std::set<std::string> given;
  for (auto &endpoint : endpoints) {
    ASSERT_NO_FATAL_FAILURE(make_endpoint(network, endpoint));
    given.insert(endpoint.address);
  }
  EXPECT_EQ(given, usable);
  auto sixth = create_endpoint(network, new_endpoint());
  ASSERT_TRUE(network_kit::failed_with(sixth, Errc::unavailable)) << network_kit::outcome(sixth);
  EXPECT_NE(sixth.error().describe().find(network.subnet), std::string::npos)
      << "the message names the subnet that is full: " << sixth.error().describe();
  // An address given back goes out again.
  ASSERT_TRUE(driver().delete_endpoint(network, endpoints[2]).ok());
  auto again = create_endpoint(network, new_endpoint());
  ASSERT_TRUE(again.ok()) << network_kit::outcome(again);
  EXPECT_EQ(again->address, endpoints[2].address);
}

TEST_P(NetworkDriverConformance, AttachReturnsWhatTheKernelHas) {
  BERTH_NETWORK_KIT_NEEDS(needs_netns);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Container c;
  ASSERT_NO_FATAL_FAILURE(start_container(network, c));
  expect_result_matches_kernel(c.netns, c.result);
}

TEST_P(NetworkDriverConformance, AttachPutsTheInterfaceIntoTheNamespaceUpWithItsAddress) {
  BERTH_NETWORK_KIT_NEEDS(needs_netns);
  BERTH_NETWORK_KIT_NEEDS(provides_address);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Container c;
  ASSERT_NO_FATAL_FAILURE(start_container(network, c));
  const auto links = links_in(c.netns);
  const auto eth0 = links.find(c.request.ifname);
  ASSERT_TRUE(eth0 != links.end())
      << "no " << c.request.ifname
      << " in the container's namespace: " << ::testing::PrintToString(links);
  EXPECT_TRUE(eth0->second.up) << c.request.ifname << " is down";
  const auto prefix = std::to_string(Ipv4Subnet::parse(network.subnet).value().prefix);
  EXPECT_TRUE(eth0->second.addresses.contains(c.endpoint.address + "/" + prefix))
      << c.request.ifname << " lacks " << c.endpoint.address << "/" << prefix << ": "
      << ::testing::PrintToString(eth0->second);
  EXPECT_TRUE(std::any_of(c.result.interfaces.begin(), c.result.interfaces.end(),
                          [&](const InterfaceInfo &i) { return i.name == c.request.ifname; }))
      << "attach's result lists " << c.request.ifname;
}

TEST_P(NetworkDriverConformance, WithoutANamespaceAttachLeavesTheHostAsItWas) {
  if (caps().needs_netns) {
    GTEST_SKIP() << GetParam().name() << ": capabilities().needs_netns is true";
  }
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  const auto before = links_in({});
  Container c;
  ASSERT_NO_FATAL_FAILURE(start_container(network, c));
  EXPECT_EQ(links_in({}), before) << "attach changed the host's interfaces";
  expect_result_matches_kernel({}, c.result);
  auto detached = driver().detach(network, c.request, c.result);
  EXPECT_TRUE(detached.ok()) << network_kit::outcome(detached);
  EXPECT_EQ(links_in({}), before) << "detach changed the host's interfaces";
}

TEST_P(NetworkDriverConformance, DetachUndoesAttachAndIsRepeatable) {
  BERTH_NETWORK_KIT_NEEDS(needs_netns);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Endpoint endpoint;
  ASSERT_NO_FATAL_FAILURE(make_endpoint(network, endpoint));
  std::filesystem::path ns;
  ASSERT_NO_FATAL_FAILURE(make_netns(ns));
  const auto inside = netns::names(links_in(ns));
  const auto outside = host_links();
  const auto request = request_for(endpoint, ns);
  auto attached = attach(network, request);
  ASSERT_TRUE(attached.ok()) << network_kit::outcome(attached);
  auto detached = driver().detach(network, request, *attached);
  ASSERT_TRUE(detached.ok()) << network_kit::outcome(detached);
  EXPECT_EQ(netns::names(links_in(ns)), inside) << "in the container's namespace";
  EXPECT_EQ(host_links(), outside) << "on the host";
  auto again = driver().detach(network, request, *attached);
  EXPECT_TRUE(again.ok()) << "a repeated detach: " << network_kit::outcome(again);
}

TEST_P(NetworkDriverConformance, DetachSucceedsOnceTheNamespaceIsGone) {
  BERTH_NETWORK_KIT_NEEDS(needs_netns);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Container c;
  ASSERT_NO_FATAL_FAILURE(start_container(network, c));
  netns::remove(c.netns); // the container exited, or the host rebooted
  auto detached = driver().detach(network, c.request, c.result);
  EXPECT_TRUE(detached.ok()) << network_kit::outcome(detached);
  auto again = driver().detach(network, c.request, c.result);
  EXPECT_TRUE(again.ok()) << "a repeated detach: " << network_kit::outcome(again);
  auto deleted = driver().delete_endpoint(network, c.endpoint);
  EXPECT_TRUE(deleted.ok()) << network_kit::outcome(deleted);
}

TEST_P(NetworkDriverConformance, TwoContainersOnOneNetworkReachEachOther) {
  BERTH_NETWORK_KIT_NEEDS(needs_netns);
  BERTH_NETWORK_KIT_NEEDS(provides_address);
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  std::array<Container, 2> c;
  ASSERT_NO_FATAL_FAILURE(start_container(network, c[0]));
  ASSERT_NO_FATAL_FAILURE(start_container(network, c[1]));
  using network_kit::kContainerPort;
  auto listener =
      netns::in_netns(c[0].netns, [] { return netns::tcp_bound(kContainerPort, true); });
  ASSERT_TRUE(listener.ok()) << listener.error().describe();
  auto client = netns::in_netns(c[1].netns, [] { return netns::tcp_socket(); });
  ASSERT_TRUE(client.ok()) << client.error().describe();
  auto connected = netns::connect_within(client->get(), c[0].endpoint.address, kContainerPort,
                                         network_kit::kPatience);
  ASSERT_TRUE(connected.ok()) << "from " << c[1].endpoint.address << ": "
                              << network_kit::outcome(connected);
  auto accepted = netns::accept_within(listener->get(), network_kit::kPatience);
  ASSERT_TRUE(accepted.ok()) << accepted.error().describe();
  auto exchanged = netns::exchange(client->get(), accepted->get(), network_kit::kPatience);
  EXPECT_TRUE(exchanged.ok()) << exchanged.error().describe();
}

TEST_P(NetworkDriverConformance, APublishedPortReachesTheContainerFromTheHostsLoopback) {
  BERTH_NETWORK_KIT_NEEDS(needs_netns);
  BERTH_NETWORK_KIT_NEEDS(supports_ports);
  // As berth does: the host port is bound before the driver is called and
  // held for the container's life.
  auto held = netns::tcp_bound(0, false);
  ASSERT_TRUE(held.ok()) << held.error().describe();
  const auto port = netns::local_port(held->get()).value();
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Endpoint endpoint;
  ASSERT_NO_FATAL_FAILURE(make_endpoint(network, endpoint));
  std::filesystem::path ns;
  ASSERT_NO_FATAL_FAILURE(make_netns(ns));
  using network_kit::kContainerPort;
  auto listener = netns::in_netns(ns, [] { return netns::tcp_bound(kContainerPort, true); });
  ASSERT_TRUE(listener.ok()) << listener.error().describe();
  const auto request = request_for(endpoint, ns, {PortMapping{"", port, kContainerPort, "tcp"}});
  auto attached = attach(network, request);
  ASSERT_TRUE(attached.ok()) << network_kit::outcome(attached);
  const auto target = "127.0.0.1:" + std::to_string(port);
  {
    auto client = netns::tcp_socket();
    ASSERT_TRUE(client.ok()) << client.error().describe();
    auto connected =
        netns::connect_within(client->get(), "127.0.0.1", port, network_kit::kPatience);
    ASSERT_TRUE(connected.ok()) << target << " -> container port " << kContainerPort << ": "
                                << network_kit::outcome(connected);
    auto accepted = netns::accept_within(listener->get(), network_kit::kPatience);
    ASSERT_TRUE(accepted.ok()) << target << " connected, but not to the container's listener";
    auto exchanged = netns::exchange(client->get(), accepted->get(), network_kit::kPatience);
    EXPECT_TRUE(exchanged.ok()) << exchanged.error().describe();
  }
  auto detached = driver().detach(network, request, *attached);
  ASSERT_TRUE(detached.ok()) << network_kit::outcome(detached);
  auto client = netns::tcp_socket();
  ASSERT_TRUE(client.ok()) << client.error().describe();
  auto after = netns::connect_within(client->get(), "127.0.0.1", port, network_kit::kRefusal);
  EXPECT_FALSE(after.ok()) << "after detach, " << target << " still connects";
}

TEST_P(NetworkDriverConformance, GcRemovesWhatACrashLeftBehind) {
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  const auto outside = host_links();
  const auto in_use = allocations(network);
  Container c;
  ASSERT_NO_FATAL_FAILURE(start_container(network, c));
  // berth crashed here: no detach, no delete_endpoint, and no record of it.
  auto collected = driver().gc(network, {});
  ASSERT_TRUE(collected.ok()) << network_kit::outcome(collected);
  EXPECT_EQ(host_links(), outside) << "gc leaves no interface of a dead endpoint on the host";
  EXPECT_EQ(allocations(network), in_use) << "gc gives a dead endpoint's address back";
}

TEST_P(NetworkDriverConformance, GcKeepsLiveEndpoints) {
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Container live;
  ASSERT_NO_FATAL_FAILURE(start_container(network, live));
  const auto outside = host_links();
  const auto inside = live.netns.empty() ? Links{} : links_in(live.netns);
  const auto in_use = allocations(network);
  Container dead;
  ASSERT_NO_FATAL_FAILURE(start_container(network, dead));
  auto collected = driver().gc(network, {live.endpoint.id});
  ASSERT_TRUE(collected.ok()) << network_kit::outcome(collected);
  EXPECT_EQ(host_links(), outside) << "gc removes the dead endpoint's interfaces, only those";
  EXPECT_EQ(allocations(network), in_use) << "gc frees the dead endpoint's address, only that";
  if (!live.netns.empty()) {
    EXPECT_EQ(links_in(live.netns), inside) << "gc left the live container's namespace alone";
  }
}

TEST_P(NetworkDriverConformance, FiftyAttachDetachCyclesLeaveNothingBehind) {
  Network network;
  ASSERT_NO_FATAL_FAILURE(make_network(network));
  Endpoint endpoint;
  ASSERT_NO_FATAL_FAILURE(make_endpoint(network, endpoint));
  std::filesystem::path ns;
  ASSERT_NO_FATAL_FAILURE(make_netns(ns));
  const auto outside = host_links();
  const auto inside = ns.empty() ? std::set<std::string>{} : netns::names(links_in(ns));
  const auto in_use = allocations(network);
  const auto request = request_for(endpoint, ns);
  for (int i = 1; i <= 50; ++i) {
    auto attached = attach(network, request);
    ASSERT_TRUE(attached.ok()) << "attach #" << i << ": " << network_kit::outcome(attached);
    auto detached = driver().detach(network, request, *attached);
    ASSERT_TRUE(detached.ok()) << "detach #" << i << ": " << network_kit::outcome(detached);
  }
  EXPECT_EQ(host_links(), outside) << "on the host";
  if (!ns.empty()) {
    EXPECT_EQ(netns::names(links_in(ns)), inside) << "in the container's namespace";
  }
  EXPECT_EQ(allocations(network), in_use);
}

#undef BERTH_NETWORK_KIT_NEEDS

} // namespace berth::sdk::testing
