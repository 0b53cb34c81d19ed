#include "docker/engine_pool.hpp"

#include <malloc.h>

namespace berth::berthd {
namespace {

// Idle engines kept beyond this are closed: a burst of concurrent clients
// should not leave a connection set per client behind it (each engine's
// SQLite connections keep page caches of a few MiB).
constexpr std::size_t kMaxIdle = 4;

} // namespace

EnginePool::Lease::~Lease() {
  if (engine_ != nullptr) {
    pool_->give_back(std::move(engine_));
  }
}

sdk::Result<EnginePool::Lease> EnginePool::borrow() {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto engine = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(engine));
    }
  }
  auto opened = Engine::open(options_, StackCheck::engine);
  if (opened.engine == nullptr) {
    std::string message = "the stack cannot be used";
    if (!opened.diagnostics.empty()) {
      message = opened.diagnostics.front().to_string();
    }
    return sdk::make_error(sdk::Errc::unavailable, message);
  }
  return Lease(*this, std::move(opened.engine));
}

sdk::Result<std::filesystem::path> EnginePool::check() {
  auto lease = borrow();
  if (!lease.ok()) {
    return std::move(lease).error();
  }
  return (*lease)->root();
}

void EnginePool::give_back(std::unique_ptr<Engine> engine) {
  {
    const std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(std::move(engine));
      return;
    }
  }
  engine.reset();
  ::malloc_trim(0); // hand what the closed engine held back to the system
}

} // namespace berth::berthd
