// The SQL behind SqliteStore: an append-only revision log in the manner of
// kine, with the fixes its users asked for.
//
// - `log` holds one row per change; its rowid is the revision. A delete is a
//   tombstone row. (key, revision) is indexed, so "the key at revision R" is
//   one index seek however many revisions the key has (kine's GROUP BY over
//   every revision was what made lists slow, microk8s#3227).
// - `live` maps each live key to its latest row, so a list or count at the
//   current revision (what the API server does nearly always) reads only
//   live keys. A list at an older revision uses the log.
// - `leases` holds granted leases; `meta` the compaction revision.
//
// Every function here runs on a connection the caller owns, inside the
// caller's transaction, and throws SqliteError.
#pragma once

#include "cluster/store/state_store.hpp"

#include "store/sqlite.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace berth::cluster::revision_log {

void create_schema(Database &db);

[[nodiscard]] Revision current_revision(Database &db);
[[nodiscard]] Revision compacted_revision(Database &db);

// The key's value at revision (live or a tombstone), if the log has it.
struct Row {
  KeyValue kv;
  bool deleted = false;
};
[[nodiscard]] std::optional<Row> row_at(Database &db, std::string_view key, Revision revision);
// The key's latest row if the key is live now.
[[nodiscard]] std::optional<KeyValue> live(Database &db, std::string_view key);

// Live keys in [start, range.end) in key order, at most limit (0: all).
[[nodiscard]] std::vector<KeyValue> list_live(Database &db, std::string_view start,
                                              std::string_view end, std::int64_t limit);
[[nodiscard]] std::vector<KeyValue> list_at(Database &db, std::string_view start,
                                            std::string_view end, Revision revision,
                                            std::int64_t limit);
[[nodiscard]] std::int64_t count_live(Database &db, const KeyRange &range);

// Appends a put (a create when previous is empty) or a tombstone; updates
// `live`. Returns the event as a watcher sees it.
WatchEvent append_put(Database &db, std::string_view key, std::string_view value, LeaseId lease,
                      const std::optional<KeyValue> &previous);
WatchEvent append_delete(Database &db, const KeyValue &previous);

// Every change in range at or after from, in revision order, with previous values.
[[nodiscard]] std::vector<WatchEvent> events_since(Database &db, const KeyRange &range,
                                                   Revision from);

// Removes history below revision that no read at or after it needs; one
// batch of at most batch_rows revisions starting at from. Returns the next
// batch's start.
Revision compact_batch(Database &db, Revision from, Revision revision, Revision batch_rows);
void set_compacted_revision(Database &db, Revision revision);

[[nodiscard]] bool lease_exists(Database &db, LeaseId lease);
LeaseId insert_lease(Database &db, std::int64_t ttl_seconds);
void delete_lease(Database &db, LeaseId lease);
[[nodiscard]] std::vector<KeyValue> keys_of_lease(Database &db, LeaseId lease);
[[nodiscard]] std::vector<Lease> all_leases(Database &db);

} // namespace berth::cluster::revision_log
