// Runs the conformance suite on a real etcd: one private etcd per test
// (EtcdProcess). Skipped when etcd is not installed.
#include "cluster/store/etcd/etcd_store.hpp"
#include "etcd_process.hpp"
#include "store_harness.hpp"

#include <thread>

namespace berth::cluster::testing {

using namespace std::chrono_literals;

std::unique_ptr<EtcdStore> wait_for_etcd(const EtcdProcess &etcd,
                                         std::vector<std::string> endpoints) {
  EtcdStoreOptions options;
  options.endpoints = std::move(endpoints);
  // Starting etcd takes a moment; the test (not the store) waits for it.
  const auto give_up = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    auto opened = EtcdStore::open(options);
    if (opened.ok()) {
      return std::move(opened).value();
    }
    if (std::chrono::steady_clock::now() > give_up) {
      throw std::runtime_error("etcd did not start; see " + etcd.log_path().string() + ": " +
                               opened.error().describe());
    }
    std::this_thread::sleep_for(50ms);
  }
}

namespace {

class EtcdHarness final : public StoreHarness {
public:
  explicit EtcdHarness(std::filesystem::path binary)
      : etcd_(std::move(binary)), store_(wait_for_etcd(etcd_, {etcd_.client_url()})) {}

  ~EtcdHarness() override { store_.reset(); } // watches end before etcd does
  EtcdHarness(const EtcdHarness &) = delete;
  EtcdHarness &operator=(const EtcdHarness &) = delete;
  EtcdHarness(EtcdHarness &&) = delete;
  EtcdHarness &operator=(EtcdHarness &&) = delete;

  StateStore &store() override { return *store_; }

  // Kills etcd and starts it again on the same data and ports; the store
  // object and its watches carry on.
  void restart() override {
    etcd_.kill();
    etcd_.start();
    (void)wait_for_etcd(etcd_, {etcd_.client_url()});
  }

private:
  EtcdProcess etcd_;
  std::unique_ptr<EtcdStore> store_;
};

std::unique_ptr<StoreHarness> make_etcd_harness() {
  const auto binary = EtcdProcess::find_binary();
  if (binary.empty()) {
    return nullptr; // the fixture skips: etcd-server is not installed
  }
  return std::make_unique<EtcdHarness>(binary);
}

} // namespace

INSTANTIATE_TEST_SUITE_P(Etcd, StateStoreConformance,
                         ::testing::Values(HarnessFactory{"Etcd", make_etcd_harness}),
                         harness_name);

} // namespace berth::cluster::testing
