// What only the etcd store promises: fail-over across endpoints and clear
// errors when etcd cannot be used.
#include "cluster/store/etcd/etcd_store.hpp"
#include "etcd_process.hpp"
#include "store_harness.hpp"

#include "support/temp_dir.hpp"

#include <thread>

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

TEST(EtcdStore, SpeaksTlsToAnHttpsEtcdItTrusts) {
  const auto binary = EtcdProcess::find_binary();
  if (binary.empty()) {
    GTEST_SKIP() << "etcd is not installed here; run scripts/install-deps.sh";
  }
  const berth::testing::TempDir certs("berth-etcd-certs");
  make_test_certificates(certs.path());
  EtcdProcess etcd(binary, certs.path() / "server.crt", certs.path() / "server.key");
  ASSERT_TRUE(etcd.client_url().starts_with("https://"));

  EtcdStoreOptions options;
  options.endpoints = {etcd.client_url()};
  options.ca_file = (certs.path() / "ca.crt").string();
  // etcd may still be starting: retry until it answers.
  std::unique_ptr<EtcdStore> store;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!store && std::chrono::steady_clock::now() < give_up) {
    auto opened = EtcdStore::open(options);
    if (opened.ok()) {
      store = std::move(opened).value();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_TRUE(store) << "no TLS connection to etcd; see " << etcd.log_path();
  // Without the CA, the server's certificate is not trusted: the handshake fails.
  EtcdStoreOptions untrusting;
  untrusting.endpoints = {etcd.client_url()};
  untrusting.request_timeout = std::chrono::milliseconds(2000);
  auto refused = EtcdStore::open(untrusting);
  ASSERT_TRUE(refused.failed_with(StoreErrc::unavailable));
  EXPECT_NE(refused.error().describe().find("certificate"), std::string::npos)
      << refused.error().describe();

  StateStore &s = *store;
  auto watch = expect_ok(s.watch(KeyRange::prefix("/tls/")));
  ASSERT_TRUE(watch);
  const Revision created = expect_ok(s.create("/tls/a", "secret"));
  EXPECT_EQ(expect_ok(s.get("/tls/a")).value, "secret");
  auto batch = expect_ok(watch->next(std::chrono::seconds(5)));
  ASSERT_EQ(batch.events.size(), 1U);
  EXPECT_EQ(batch.events[0].kv.mod_revision, created);
}

TEST(EtcdStore, UnreadableCaFileIsRefusedNamingIt) {
  EtcdStoreOptions options;
  options.endpoints = {"https://127.0.0.1:2379"};
  options.ca_file = "/nonexistent/ca.crt";
  auto opened = EtcdStore::open(options);
  ASSERT_TRUE(opened.failed_with(StoreErrc::invalid_argument));
  EXPECT_NE(opened.error().describe().find("/nonexistent/ca.crt"), std::string::npos)
      << opened.error().describe();
}

} // namespace
} // namespace berth::cluster::testing
