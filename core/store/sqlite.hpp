// A thin RAII layer over SQLite: one connection, prepared statements, and
// transactions. Engine state lives in root/berth.db (WAL mode) so that
// several berth processes can share it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace berth {

// Thrown by this layer; callers in the core turn it into sdk::Error at the
// boundary they own.
class SqliteError : public std::runtime_error {
public:
  SqliteError(const std::string &what, int code) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

private:
  int code_;
};

class Statement {
public:
  Statement(sqlite3 *db, std::string_view sql);
  ~Statement();
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;
  Statement(Statement &&) = delete;
  Statement &operator=(Statement &&) = delete;

  Statement &bind(int index, std::string_view text);
  Statement &bind(int index, std::int64_t number);
  // Advances to the next row; false when done.
  bool step();
  void run() {
    while (step()) {
    }
  }
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::int64_t integer(int column) const;

private:
  sqlite3 *db_;
  sqlite3_stmt *statement_ = nullptr;
};

// How soon a commit reaches the disk.
enum class Durability {
  // Synced before COMMIT returns (synchronous=FULL): what HostServices::kv()
  // and IPAM promise plugins.
  synced,
  // Written to the WAL at COMMIT, synced at the next synced commit or
  // checkpoint (synchronous=NORMAL). A killed process loses nothing; an
  // operating-system crash may lose the last commits, which is why the
  // first command after a reboot reconciles the rows with the files
  // (ContainerService::recover_after_reboot).
  deferred,
};

class Database {
public:
  // Opens (creating if needed) the database at path in WAL mode.
  explicit Database(const std::filesystem::path &path, Durability durability = Durability::synced);
  ~Database();
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;
  Database(Database &&) = delete;
  Database &operator=(Database &&) = delete;

  void exec(std::string_view sql);
  // Applies to the commits that follow (not inside a transaction).
  void set_durability(Durability durability);
  // exec() inside one write transaction. Every change outside an explicit
  // Transaction goes through here: a bare write statement that finds another
  // process committed since it started reading fails at once with "database
  // is locked" (SQLite's busy handler cannot help it), while BEGIN IMMEDIATE
  // waits for the write lock first.
  void write(std::string_view sql);
  Statement prepare(std::string_view sql) { return {db_, sql}; }
  [[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }
  // Rows changed by the last statement.
  [[nodiscard]] int changes() const noexcept;

private:
  sqlite3 *db_ = nullptr;
  std::filesystem::path path_;
};

// One write transaction: BEGIN IMMEDIATE takes the write lock up front, so
// two processes never both read and then fail to upgrade. Rolls back unless
// commit() was called.
class Transaction {
public:
  explicit Transaction(Database &db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) {
      try {
        db_.exec("ROLLBACK");
      } catch (const SqliteError &) { // NOLINT(bugprone-empty-catch): nothing left to undo
      }
    }
  }
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  Transaction(Transaction &&) = delete;
  Transaction &operator=(Transaction &&) = delete;

  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

private:
  Database &db_;
  bool done_ = false;
};

} // namespace berth
