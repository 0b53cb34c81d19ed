// The conformance suite runs against every StateStore implementation through
// a harness that owns one store and can restart it on the same data (reopen
// the SQLite file, or kill and restart the etcd process).
#pragma once

#include "cluster/store/state_store.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

namespace berth::cluster::testing {

class StoreHarness {
public:
  virtual ~StoreHarness() = default;
  StoreHarness() = default;
  StoreHarness(const StoreHarness &) = delete;
  StoreHarness &operator=(const StoreHarness &) = delete;
  StoreHarness(StoreHarness &&) = delete;
  StoreHarness &operator=(StoreHarness &&) = delete;

  virtual StateStore &store() = 0;
  // Stops the store (watches on it end) and starts it again on the same data.
  virtual void restart() = 0;
};

struct HarnessFactory {
  std::string name;
  std::function<std::unique_ptr<StoreHarness>()> make;
};

// So that gtest names the implementation instead of dumping its bytes.
inline void PrintTo(const HarnessFactory &factory, std::ostream *out) {
  *out << factory.name;
}

class StateStoreConformance : public ::testing::TestWithParam<HarnessFactory> {
protected:
  void SetUp() override {
    harness_ = GetParam().make();
    if (!harness_) {
      GTEST_SKIP() << GetParam().name << " is not installed here; run scripts/install-deps.sh";
    }
  }
  StateStore &store() { return harness_->store(); }
  void restart() { harness_->restart(); }

private:
  std::unique_ptr<StoreHarness> harness_;
};

inline std::string harness_name(const ::testing::TestParamInfo<HarnessFactory> &info) {
  return info.param.name;
}

// Unwraps a result in a test, failing with the store's own message.
template <class T> T expect_ok(StoreResult<T> result) {
  if (!result.ok()) {
    ADD_FAILURE() << "store error (" << store_errc_name(result.error().code)
                  << "): " << result.error().describe();
    return T{};
  }
  return std::move(result).value();
}

} // namespace berth::cluster::testing
