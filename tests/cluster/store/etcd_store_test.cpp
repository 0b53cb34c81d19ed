// What only the etcd store promises: fail-over across endpoints and clear
// errors when etcd cannot be used.
#include "cluster/store/etcd/etcd_store.hpp"
#include "etcd_process.hpp"
#include "store_harness.hpp"

namespace berth::cluster::testing {
namespace {

std::string dead_endpoint() {
  return "http://127.0.0.1:" + std::to_string(EtcdProcess::free_port());
}

TEST(EtcdStore, FailsOverPastADeadEndpoint) {
  const auto binary = EtcdProcess::find_binary();
  if (binary.empty()) {
    GTEST_SKIP() << "etcd is not installed here; run scripts/install-deps.sh";
  }
  EtcdProcess etcd(binary);
  auto store = wait_for_etcd(etcd, {dead_endpoint(), etcd.client_url()});
  StateStore &s = *store;
  const Revision created = expect_ok(s.create("/failover", "x"));
  EXPECT_EQ(expect_ok(s.get("/failover")).mod_revision, created);
}

TEST(EtcdStore, UnreachableEtcdIsUnavailableNamingTheEndpoints) {
  EtcdStoreOptions options;
  options.endpoints = {dead_endpoint()};
  auto opened = EtcdStore::open(options);
  ASSERT_TRUE(opened.failed_with(StoreErrc::unavailable));
  EXPECT_NE(opened.error().describe().find(options.endpoints[0]), std::string::npos)
      << opened.error().describe();
}

TEST(EtcdStore, HttpsEndpointIsRefusedWithReason) {
  EtcdStoreOptions options;
  options.endpoints = {"https://127.0.0.1:2379"};
  auto opened = EtcdStore::open(options);
  ASSERT_TRUE(opened.failed_with(StoreErrc::invalid_argument));
  EXPECT_NE(opened.error().describe().find("TLS"), std::string::npos);
}

} // namespace
} // namespace berth::cluster::testing
