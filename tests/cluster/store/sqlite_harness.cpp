#include "cluster/store/sqlite/sqlite_store.hpp"
#include "store_harness.hpp"

#include "support/temp_dir.hpp"

namespace berth::cluster::testing {
namespace {

class SqliteHarness final : public StoreHarness {
public:
  SqliteHarness() { open(); }
  StateStore &store() override { return *store_; }
  void restart() override {
    store_.reset();
    open();
  }

private:
  void open() {
    // The suite checks semantics, not durability; an fsync per commit would
    // make its 10k-write tests take half a minute (SqliteStoreTest covers
    // the synced default).
    SqliteStoreOptions options;
    options.sync_every_commit = false;
    auto opened = SqliteStore::open(dir_.path() / "cluster.db", options);
    if (!opened.ok()) {
      throw std::runtime_error(opened.error().describe());
    }
    store_ = std::move(opened).value();
  }

  berth::testing::TempDir dir_{"berth-cluster-store"};
  std::unique_ptr<SqliteStore> store_;
};

} // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, StateStoreConformance,
                         ::testing::Values(HarnessFactory{
                             "Sqlite", [] { return std::make_unique<SqliteHarness>(); }}),
                         harness_name);

} // namespace berth::cluster::testing
