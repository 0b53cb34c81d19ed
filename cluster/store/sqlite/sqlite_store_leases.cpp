// SqliteStore's leases. The database records which leases exist and their
// TTLs; deadlines live in memory, since after a restart every lease starts
// a full TTL again.
#include "cluster/store/sqlite/revision_log.hpp"
#include "cluster/store/sqlite/sqlite_store.hpp"

#include "store/sqlite.hpp"

#include <cstdio>

namespace berth::cluster {
namespace {

std::string lease_name(LeaseId lease) {
  return "lease " + std::to_string(lease);
}

StoreError lease_gone(LeaseId lease) {
  return store_error(StoreErrc::not_found,
                     "expired or revoked; grant a new lease and attach the keys again",
                     lease_name(lease));
}

} // namespace

void SqliteStore::load_leases() {
  const auto now = Clock::now();
  const std::lock_guard lock(lease_mutex_);
  for (const Lease &lease : revision_log::all_leases(*writer_)) {
    leases_[lease.id] = {lease.ttl_seconds, now + std::chrono::seconds(lease.ttl_seconds)};
  }
}

StoreResult<Done> SqliteStore::check_lease(Database &db, LeaseId lease) const {
  if (lease == 0 || revision_log::lease_exists(db, lease)) {
    return Done{};
  }
  return lease_gone(lease);
}

StoreResult<Lease> SqliteStore::grant_lease(std::int64_t ttl_seconds) {
  if (ttl_seconds <= 0) {
    return store_error(StoreErrc::invalid_argument,
                       "a lease TTL must be at least 1 second, not " + std::to_string(ttl_seconds));
  }
  auto granted = write<Lease>([&](Database &db, Events &) -> StoreResult<Lease> {
    return Lease{revision_log::insert_lease(db, ttl_seconds), ttl_seconds};
  });
  if (granted) {
    {
      const std::lock_guard lock(lease_mutex_);
      leases_[granted->id] = {ttl_seconds, Clock::now() + std::chrono::seconds(ttl_seconds)};
    }
    lease_changed_.notify_all();
  }
  return granted;
}

StoreResult<Lease> SqliteStore::keep_alive(LeaseId lease) {
  // Memory only: a keep-alive is the most frequent write a cluster makes
  // (every node, every few seconds) and needs no disk.
  const std::lock_guard lock(lease_mutex_);
  const auto found = leases_.find(lease);
  if (found == leases_.end()) {
    return lease_gone(lease);
  }
  found->second.deadline = Clock::now() + std::chrono::seconds(found->second.ttl_seconds);
  return Lease{lease, found->second.ttl_seconds};
}

StoreResult<Done> SqliteStore::revoke_lease(LeaseId lease) {
  auto revoked = write<Done>([&](Database &db, Events &events) -> StoreResult<Done> {
    if (!revision_log::lease_exists(db, lease)) {
      return lease_gone(lease);
    }
    for (const KeyValue &kv : revision_log::keys_of_lease(db, lease)) {
      events.push_back(revision_log::append_delete(db, kv));
    }
    revision_log::delete_lease(db, lease);
    return Done{};
  });
  if (revoked) {
    const std::lock_guard lock(lease_mutex_);
    leases_.erase(lease);
  }
  return revoked;
}

void SqliteStore::expire_lease(LeaseId lease) {
  auto expired = write<Done>([&](Database &db, Events &events) -> StoreResult<Done> {
    {
      // A keep-alive may have arrived since the expiry thread looked.
      const std::lock_guard lock(lease_mutex_);
      const auto found = leases_.find(lease);
      if (found == leases_.end() || found->second.deadline > Clock::now()) {
        return Done{};
      }
      leases_.erase(found);
    }
    for (const KeyValue &kv : revision_log::keys_of_lease(db, lease)) {
      events.push_back(revision_log::append_delete(db, kv));
    }
    revision_log::delete_lease(db, lease);
    return Done{};
  });
  if (!expired) {
    // The lease stays in the database and expires again after a restart;
    // nothing else can be done from this thread.
    std::fprintf(stderr, "berth: cluster store %s: cannot expire %s: %s\n", path_.c_str(),
                 lease_name(lease).c_str(), expired.error().describe().c_str());
  }
}

void SqliteStore::run_lease_expiry() {
  // Sleeps until the earliest deadline or a change to the leases; never polls.
  std::unique_lock lock(lease_mutex_);
  while (!stopping_) {
    if (leases_.empty()) {
      lease_changed_.wait(lock);
      continue;
    }
    auto earliest = leases_.begin();
    for (auto it = leases_.begin(); it != leases_.end(); ++it) {
      if (it->second.deadline < earliest->second.deadline) {
        earliest = it;
      }
    }
    if (earliest->second.deadline > Clock::now()) {
      lease_changed_.wait_until(lock, earliest->second.deadline);
      continue;
    }
    const LeaseId due = earliest->first;
    lock.unlock();
    expire_lease(due);
    lock.lock();
  }
}

} // namespace berth::cluster
