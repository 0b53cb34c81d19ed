#include "store/sqlite.hpp"

#include "util/private_dir.hpp"

#include <sqlite3.h>

namespace berth {
namespace {

[[noreturn]] void fail(sqlite3 *db, int code, std::string_view doing) {
  throw SqliteError(std::string(doing) + ": " +
                        (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code)),
                    code);
}

} // namespace

Statement::Statement(sqlite3 *db, std::string_view sql) : db_(db) {
  const int rc =
      sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement_, nullptr);
  if (rc != SQLITE_OK) {
    fail(db, rc, "sqlite prepare '" + std::string(sql) + "'");
  }
}

Statement::~Statement() {
  sqlite3_finalize(statement_);
}

Statement &Statement::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                                   SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) {
    fail(db_, rc, "sqlite bind");
  }
  return *this;
}

Statement &Statement::bind(int index, std::int64_t number) {
  const int rc = sqlite3_bind_int64(statement_, index, number);
  if (rc != SQLITE_OK) {
    fail(db_, rc, "sqlite bind");
  }
  return *this;
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

int Database::changes() const noexcept {
  return sqlite3_changes(db_);
}

bool Statement::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  fail(db_, rc, "sqlite step");
}

std::string Statement::text(int column) const {
  const auto *data = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  return data == nullptr
             ? std::string{}
             : std::string(reinterpret_cast<const char *>(data), static_cast<std::size_t>(size));
}

Database::Database(const std::filesystem::path &path, Durability durability) : path_(path) {
  // Every container's environment is in here: readable by root only.
  if (auto secured = make_private_database_file(path); !secured.ok()) {
    throw SqliteError("cannot open " + path.string() + ": " + secured.error().describe(),
                      SQLITE_CANTOPEN);
  }
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = "cannot open " + path.string() + ": " +
                                (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(message, rc);
  }
  // Another berth process may hold the write lock for a moment.
  sqlite3_busy_timeout(db_, 10000);
  // Switching a new database to WAL needs it to itself for a moment; a
  // process opening it at the same time gets SQLITE_BUSY without waiting.
  for (int attempt = 0;; ++attempt) {
    try {
      exec("PRAGMA journal_mode=WAL");
      break;
    } catch (const SqliteError &e) {
      if ((e.code() & 0xff) != SQLITE_BUSY || attempt == 200) {
        throw;
      }
      sqlite3_sleep(10);
    }
  }
  // In WAL mode a synced commit also makes every commit before it durable,
  // so deferred connections never get ahead of synced ones on disk.
  set_durability(durability);
  // Every berth command is a short-lived process whose last connection
  // would delete the WAL on close, and the next would create it again and
  // sync the directory: on a busy disk that unlink and those syncs cost more
  // than the commits. Kept, the WAL is reused from its start after each
  // checkpoint; the limit bounds what it keeps on disk.
  int persist = 1;
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  // Nor does the last connection of a command checkpoint on close (two
  // more syncs per command): the WAL is checkpointed when it passes SQLite's
  // 1000-page mark, by whichever command gets there, and a WAL left behind
  // is as valid to the next process as the database file.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  exec("PRAGMA journal_size_limit=4194304");
  exec("PRAGMA foreign_keys=ON");
}

void Database::set_durability(Durability durability) {
  exec(durability == Durability::synced ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

Database::~Database() {
  sqlite3_close(db_);
}

void Database::exec(std::string_view sql) {
  char *message = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw SqliteError(path_.string() + ": " + text, rc);
  }
}

void Database::write(std::string_view sql) {
  exec("BEGIN IMMEDIATE");
  try {
    exec(sql);
    exec("COMMIT");
  } catch (const SqliteError &) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

} // namespace berth
