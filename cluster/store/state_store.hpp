// The cluster state store: a revisioned key-value store with watches and
// leases, shaped after etcd's v3 API because that is what the API server's
// semantics (resourceVersion, optimistic concurrency, watch from a version,
// 410 Gone) are built on. Two implementations: SqliteStore (embedded, the
// default) and, for clusters, etcd.
//
// Revisions: every change (create, update, delete, a key expiring with its
// lease) gets the next revision of the whole store, starting at 1. A key's
// mod_revision is the revision of its last change and is what callers pass
// back as the expected revision of an update or delete.
//
// Thread safety: every method of StateStore, and of Watch, may be called from
// any number of threads at once. A Watch is used by one consumer at a time
// (concurrent next() calls on one Watch split its events between them).
#pragma once

#include "cluster/store/store_result.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cluster {

using Revision = std::int64_t;
using LeaseId = std::int64_t;

// Keys are byte strings ordered bytewise. [start, end): an empty end means no
// upper bound; use single() for one key.
struct KeyRange {
  std::string start;
  std::string end;

  static KeyRange single(std::string key);
  static KeyRange prefix(std::string_view prefix);
  [[nodiscard]] bool contains(std::string_view key) const noexcept;
  [[nodiscard]] bool is_single() const noexcept;
};

// The smallest key greater than every key starting with prefix, or "" when
// there is none (prefix is empty or all 0xff).
std::string prefix_end(std::string_view prefix);

struct KeyValue {
  std::string key;
  std::string value;
  Revision create_revision = 0; // the revision that created this incarnation
  Revision mod_revision = 0;    // the revision of its last change
  LeaseId lease = 0;            // 0: not attached to a lease

  bool operator==(const KeyValue &) const = default;
};

struct ListOptions {
  Revision revision = 0;  // 0: the current revision
  std::int64_t limit = 0; // 0: no limit
  // From ListResult::continue_key of the previous page; pass that page's
  // revision too, so all pages describe one moment.
  std::string continue_key;
};

struct ListResult {
  std::vector<KeyValue> items;
  Revision revision = 0;    // the revision the list describes
  std::string continue_key; // non-empty: more items remain
};

struct DeleteResult {
  Revision revision = 0; // the revision of the delete
  KeyValue previous;     // the value it removed
};

struct Lease {
  LeaseId id = 0;
  std::int64_t ttl_seconds = 0;
};

enum class EventType { put, remove };

struct WatchEvent {
  EventType type = EventType::put;
  // For a put, the new value; for a remove, the key with mod_revision set to
  // the revision of the delete and an empty value.
  KeyValue kv;
  std::optional<KeyValue> previous; // the value before this event, if any
};

// What Watch::next() hands out: events in revision order, or none at all for
// a progress notification, which says "nothing in your range changed up to
// revision" so a consumer can advance its resume point (Kubernetes'
// bookmarks).
struct WatchBatch {
  std::vector<WatchEvent> events;
  Revision revision = 0; // the store's revision when the batch was cut

  [[nodiscard]] bool is_progress() const noexcept { return events.empty(); }
};

struct WatchOptions {
  // First revision to report; 0 means "changes after now". A revision at or
  // below the last compaction fails with StoreErrc::compacted (the caller
  // must list again), except the compaction revision itself.
  Revision from_revision = 0;
  // A progress notification after this long without events; 0: never.
  std::chrono::milliseconds progress_interval{0};
};

class Watch {
public:
  virtual ~Watch() = default;
  Watch() = default;
  Watch(const Watch &) = delete;
  Watch &operator=(const Watch &) = delete;
  Watch(Watch &&) = delete;
  Watch &operator=(Watch &&) = delete;

  // Waits up to timeout for events or a due progress notification. An empty
  // batch with revision 0 means the timeout passed with nothing to say. Once
  // it returns an error (compacted, closed, unavailable) the watch is over:
  // watch again from the last revision seen + 1.
  virtual StoreResult<WatchBatch> next(std::chrono::milliseconds timeout) = 0;
};

class StateStore {
public:
  virtual ~StateStore() = default;
  StateStore() = default;
  StateStore(const StateStore &) = delete;
  StateStore &operator=(const StateStore &) = delete;
  StateStore(StateStore &&) = delete;
  StateStore &operator=(StateStore &&) = delete;

  // The key as of revision (0: now): not_found, compacted, future_revision.
  virtual StoreResult<KeyValue> get(std::string_view key, Revision revision = 0) = 0;
  // Live keys in range as of options.revision, in key order.
  virtual StoreResult<ListResult> list(const KeyRange &range, const ListOptions &options = {}) = 0;
  // Live keys in range now.
  virtual StoreResult<std::int64_t> count(const KeyRange &range) = 0;

  // Writes return the revision of the change.
  // Fails with already_exists if the key is live.
  virtual StoreResult<Revision> create(std::string_view key, std::string_view value,
                                       LeaseId lease = 0) = 0;
  // Fails with conflict unless the key's mod_revision is expected (not_found
  // if the key is absent). The lease replaces the key's lease.
  virtual StoreResult<Revision> update(std::string_view key, std::string_view value,
                                       Revision expected, LeaseId lease = 0) = 0;
  // expected 0: delete whatever is there. not_found if absent, conflict if
  // the mod_revision differs.
  virtual StoreResult<DeleteResult> remove(std::string_view key, Revision expected = 0) = 0;

  virtual StoreResult<std::unique_ptr<Watch>> watch(const KeyRange &range,
                                                    const WatchOptions &options = {}) = 0;

  virtual StoreResult<Revision> current_revision() = 0;
  // Forgets history older than revision: reads below it and watches from
  // below it fail with compacted afterwards. Live keys are kept.
  virtual StoreResult<Done> compact(Revision revision) = 0;

  // A lease expires ttl_seconds after its grant or last keep-alive, and then
  // every key attached to it is deleted (with watch events, like a delete).
  virtual StoreResult<Lease> grant_lease(std::int64_t ttl_seconds) = 0;
  // Restarts the TTL; returns it. not_found once expired or revoked.
  virtual StoreResult<Lease> keep_alive(LeaseId lease) = 0;
  // Deletes the lease and its keys now.
  virtual StoreResult<Done> revoke_lease(LeaseId lease) = 0;
};

} // namespace berth::cluster
