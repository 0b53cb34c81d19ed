// Engines for request threads. An Engine (its SQLite connections, drivers
// and services) serves one thread at a time, so berthd keeps a pool: a
// request borrows one for as long as it runs, a long one (wait, attach,
// logs -f) holding it while it blocks, and gives it back. Engines share
// the state root the way separate berth processes do, through SQLite
// transactions and file locks.
#pragma once

#include "engine/engine.hpp"

#include <berth/sdk/result.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace berth::berthd {

class EnginePool {
public:
  explicit EnginePool(EngineOptions options) : options_(std::move(options)) {}

  class Lease {
  public:
    Lease(EnginePool &pool, std::unique_ptr<Engine> engine)
        : pool_(&pool), engine_(std::move(engine)) {}
    ~Lease();
    Lease(const Lease &) = delete;
    Lease &operator=(const Lease &) = delete;
    Lease(Lease &&other) noexcept = default;
    Lease &operator=(Lease &&) = delete;
    Engine &operator*() const { return *engine_; }
    Engine *operator->() const { return engine_.get(); }

  private:
    EnginePool *pool_;
    std::unique_ptr<Engine> engine_;
  };

  // An idle engine, or a new one; fails when the stack cannot be used.
  sdk::Result<Lease> borrow();
  // Opens the first engine, so that a broken stack stops berthd at start;
  // the state root it uses.
  sdk::Result<std::filesystem::path> check();

private:
  void give_back(std::unique_ptr<Engine> engine);

  EngineOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Engine>> idle_;
};

} // namespace berth::berthd
