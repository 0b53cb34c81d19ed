#include "cluster/store/sqlite/revision_log.hpp"

#include <string>

namespace berth::cluster::revision_log {
namespace {

// The columns that make a KeyValue, for a log row aliased `l`. A create row
// stores create_revision 0 because its own revision is not known until the
// insert; it means "this row".
constexpr std::string_view kKvColumns =
    "l.key, l.value, CASE WHEN l.create_revision = 0 THEN l.revision ELSE l.create_revision END, "
    "l.revision, l.lease, l.deleted";
constexpr int kKvColumnCount = 6;

KeyValue read_kv(const Statement &row, int first = 0) {
  return KeyValue{row.text(first), row.text(first + 1), row.integer(first + 2),
                  row.integer(first + 3), row.integer(first + 4)};
}

// "AND <column> >= ?1 [AND <column> < ?2]": the end bound only when there is one.
std::string range_condition(std::string_view column, std::string_view end) {
  std::string sql = " AND " + std::string(column) + " >= ?1";
  if (!end.empty()) {
    sql += " AND " + std::string(column) + " < ?2";
  }
  return sql;
}

void bind_range(Statement &statement, std::string_view start, std::string_view end) {
  statement.bind(1, start);
  if (!end.empty()) {
    statement.bind(2, end);
  }
}

std::int64_t single_integer(Database &db, std::string_view sql) {
  Statement statement = db.prepare(sql);
  return statement.step() ? statement.integer(0) : 0;
}

} // namespace

void create_schema(Database &db) {
  db.write(R"sql(
    CREATE TABLE IF NOT EXISTS log(
      revision INTEGER PRIMARY KEY AUTOINCREMENT,
      key TEXT NOT NULL,
      deleted INTEGER NOT NULL,
      create_revision INTEGER NOT NULL,
      prev_revision INTEGER NOT NULL,
      lease INTEGER NOT NULL,
      value TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS log_key_revision ON log(key, revision);
    CREATE TABLE IF NOT EXISTS live(
      key TEXT PRIMARY KEY,
      revision INTEGER NOT NULL,
      lease INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS live_lease ON live(lease);
    CREATE TABLE IF NOT EXISTS leases(
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ttl INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    PRAGMA user_version = 1;
  )sql");
}

Revision current_revision(Database &db) {
  // AUTOINCREMENT keeps the high-water mark in sqlite_sequence even if
  // compaction removed the rows, so a revision is never handed out twice.
  return single_integer(db, "SELECT seq FROM sqlite_sequence WHERE name = 'log'");
}

Revision compacted_revision(Database &db) {
  return single_integer(db, "SELECT value FROM meta WHERE name = 'compacted'");
}

void set_compacted_revision(Database &db, Revision revision) {
  db.prepare("INSERT INTO meta(name, value) VALUES('compacted', ?1) "
             "ON CONFLICT(name) DO UPDATE SET value = excluded.value")
      .bind(1, revision)
      .run();
}

std::optional<Row> row_at(Database &db, std::string_view key, Revision revision) {
  Statement statement = db.prepare("SELECT " + std::string(kKvColumns) +
                                   " FROM log l WHERE l.key = ?1 AND l.revision <= ?2 "
                                   "ORDER BY l.revision DESC LIMIT 1");
  statement.bind(1, key).bind(2, revision);
  if (!statement.step()) {
    return std::nullopt;
  }
  return Row{read_kv(statement), statement.integer(5) != 0};
}

std::optional<KeyValue> live(Database &db, std::string_view key) {
  Statement statement =
      db.prepare("SELECT " + std::string(kKvColumns) +
                 " FROM live c JOIN log l ON l.revision = c.revision WHERE c.key = ?1");
  statement.bind(1, key);
  if (!statement.step()) {
    return std::nullopt;
  }
  return read_kv(statement);
}

std::vector<KeyValue> list_live(Database &db, std::string_view start, std::string_view end,
                                std::int64_t limit) {
  Statement statement = db.prepare("SELECT " + std::string(kKvColumns) +
                                   " FROM live c JOIN log l ON l.revision = c.revision WHERE 1" +
                                   range_condition("c.key", end) + " ORDER BY c.key LIMIT ?3");
  bind_range(statement, start, end);
  statement.bind(3, limit > 0 ? limit : std::int64_t{-1});
  std::vector<KeyValue> items;
  while (statement.step()) {
    items.push_back(read_kv(statement));
  }
  return items;
}

std::vector<KeyValue> list_at(Database &db, std::string_view start, std::string_view end,
                              Revision revision, std::int64_t limit) {
  // The newest row of each key at or below revision: for every candidate
  // row, one index seek asks whether a newer one exists. History lists are
  // rare (the API server lists at the current revision); they pay per row.
  Statement statement =
      db.prepare("SELECT " + std::string(kKvColumns) + " FROM log l WHERE l.revision <= ?4" +
                 range_condition("l.key", end) +
                 " AND l.deleted = 0 AND NOT EXISTS (SELECT 1 FROM log n WHERE n.key = l.key"
                 " AND n.revision > l.revision AND n.revision <= ?4) ORDER BY l.key LIMIT ?3");
  bind_range(statement, start, end);
  statement.bind(3, limit > 0 ? limit : std::int64_t{-1}).bind(4, revision);
  std::vector<KeyValue> items;
  while (statement.step()) {
    items.push_back(read_kv(statement));
  }
  return items;
}

std::int64_t count_live(Database &db, const KeyRange &range) {
  Statement statement =
      db.prepare("SELECT count(*) FROM live c WHERE 1" + range_condition("c.key", range.end));
  bind_range(statement, range.start, range.end);
  return statement.step() ? statement.integer(0) : 0;
}

namespace {

Revision insert_row(Database &db, std::string_view key, bool deleted, Revision create_revision,
                    Revision prev_revision, LeaseId lease, std::string_view value) {
  Statement statement =
      db.prepare("INSERT INTO log(key, deleted, create_revision, prev_revision, lease, value) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6) RETURNING revision");
  statement.bind(1, key)
      .bind(2, std::int64_t{deleted ? 1 : 0})
      .bind(3, create_revision)
      .bind(4, prev_revision)
      .bind(5, lease)
      // An empty view may have a null data(), which SQLite binds as NULL.
      .bind(6, value.empty() ? std::string_view("") : value);
  if (!statement.step()) {
    throw SqliteError("insert into the revision log returned no revision", 0);
  }
  const Revision revision = statement.integer(0);
  statement.run();
  return revision;
}

} // namespace

WatchEvent append_put(Database &db, std::string_view key, std::string_view value, LeaseId lease,
                      const std::optional<KeyValue> &previous) {
  const Revision create_revision = previous ? previous->create_revision : 0;
  const Revision prev_revision = previous ? previous->mod_revision : 0;
  const Revision revision =
      insert_row(db, key, false, create_revision, prev_revision, lease, value);
  db.prepare("INSERT INTO live(key, revision, lease) VALUES(?1, ?2, ?3) "
             "ON CONFLICT(key) DO UPDATE SET revision = excluded.revision, lease = excluded.lease")
      .bind(1, key)
      .bind(2, revision)
      .bind(3, lease)
      .run();
  KeyValue kv{std::string(key), std::string(value),
              create_revision == 0 ? revision : create_revision, revision, lease};
  return WatchEvent{EventType::put, std::move(kv), previous};
}

WatchEvent append_delete(Database &db, const KeyValue &previous) {
  const Revision revision =
      insert_row(db, previous.key, true, previous.create_revision, previous.mod_revision, 0, {});
  db.prepare("DELETE FROM live WHERE key = ?1").bind(1, previous.key).run();
  KeyValue kv{previous.key, {}, previous.create_revision, revision, 0};
  return WatchEvent{EventType::remove, std::move(kv), previous};
}

std::vector<WatchEvent> events_since(Database &db, const KeyRange &range, Revision from) {
  Statement statement =
      db.prepare("SELECT " + std::string(kKvColumns) + ", p.key, p.value, " +
                 "CASE WHEN p.create_revision = 0 THEN p.revision ELSE p.create_revision END, "
                 "p.revision, p.lease, l.prev_revision FROM log l "
                 "LEFT JOIN log p ON p.revision = l.prev_revision WHERE l.revision >= ?3" +
                 range_condition("l.key", range.end) + " ORDER BY l.revision");
  bind_range(statement, range.start, range.end);
  statement.bind(3, from);
  std::vector<WatchEvent> events;
  while (statement.step()) {
    WatchEvent event;
    event.kv = read_kv(statement);
    event.type = statement.integer(5) != 0 ? EventType::remove : EventType::put;
    if (statement.integer(kKvColumnCount + 3) != 0) { // the previous row's revision
      event.previous = read_kv(statement, kKvColumnCount);
    }
    if (event.type == EventType::remove) {
      event.kv.value.clear();
      event.kv.lease = 0;
    }
    events.push_back(std::move(event));
  }
  return events;
}

Revision compact_batch(Database &db, Revision from, Revision revision, Revision batch_rows) {
  const Revision to = std::min(from + batch_rows, revision);
  // A row is history once a newer row of its key exists at or below the
  // compaction revision; a tombstone below it is history too, since nothing
  // at or after the compaction revision can read it.
  db.prepare("DELETE FROM log WHERE revision >= ?1 AND revision < ?2 AND (deleted = 1 OR "
             "EXISTS (SELECT 1 FROM log n WHERE n.key = log.key AND n.revision > log.revision "
             "AND n.revision <= ?3))")
      .bind(1, from)
      .bind(2, to)
      .bind(3, revision)
      .run();
  return to;
}

bool lease_exists(Database &db, LeaseId lease) {
  Statement statement = db.prepare("SELECT 1 FROM leases WHERE id = ?1");
  statement.bind(1, lease);
  return statement.step();
}

LeaseId insert_lease(Database &db, std::int64_t ttl_seconds) {
  Statement statement = db.prepare("INSERT INTO leases(ttl) VALUES(?1) RETURNING id");
  statement.bind(1, ttl_seconds);
  if (!statement.step()) {
    throw SqliteError("insert into leases returned no id", 0);
  }
  const LeaseId id = statement.integer(0);
  statement.run();
  return id;
}

void delete_lease(Database &db, LeaseId lease) {
  db.prepare("DELETE FROM leases WHERE id = ?1").bind(1, lease).run();
}

std::vector<KeyValue> keys_of_lease(Database &db, LeaseId lease) {
  Statement statement =
      db.prepare("SELECT " + std::string(kKvColumns) +
                 " FROM live c JOIN log l ON l.revision = c.revision WHERE c.lease = ?1");
  statement.bind(1, lease);
  std::vector<KeyValue> keys;
  while (statement.step()) {
    keys.push_back(read_kv(statement));
  }
  return keys;
}

std::vector<Lease> all_leases(Database &db) {
  Statement statement = db.prepare("SELECT id, ttl FROM leases");
  std::vector<Lease> leases;
  while (statement.step()) {
    leases.push_back(Lease{statement.integer(0), statement.integer(1)});
  }
  return leases;
}

} // namespace berth::cluster::revision_log
