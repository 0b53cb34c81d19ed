#include "plugin/host_services.hpp"

#include "log/logging.hpp"
#include "network/ipam.hpp"
#include "store/sqlite.hpp"
#include "util/private_dir.hpp"

#include <mutex>

namespace berth {
namespace {

using sdk::Errc;
using sdk::make_error;

std::string prefix_upper_bound(std::string_view prefix) {
  // Keys in [prefix, prefix + U+10FFFF) share the prefix; simpler and index
  // friendly compared with LIKE, which would need escaping.
  return std::string(prefix) + "\xF4\x8F\xBF\xBF";
}

// Opens root/berth.db on first use, so that commands which never touch
// plugin state never create it.
class SqliteKeyValueStore final : public sdk::KeyValueStore {
public:
  SqliteKeyValueStore(std::string plugin, std::filesystem::path state_root)
      : plugin_(std::move(plugin)), state_root_(std::move(state_root)) {}

  sdk::Result<std::optional<std::string>> get(std::string_view key) noexcept override {
    return guarded([&]() -> std::optional<std::string> {
      auto query = db().prepare("SELECT value FROM plugin_kv WHERE plugin = ?1 AND key = ?2");
      query.bind(1, plugin_).bind(2, key);
      if (!query.step()) {
        return std::nullopt;
      }
      return query.text(0);
    });
  }

  sdk::Result<void> put(std::string_view key, std::string_view value) noexcept override {
    return guarded_void([&] { store(key, value, Durability::synced); });
  }

  sdk::Result<void> erase(std::string_view key) noexcept override {
    return guarded_void([&] { remove(key, Durability::synced); });
  }

  // The same connection with synchronous=NORMAL for one commit: in one WAL
  // with the engine's deferred records, so commits keep their order.
  sdk::Result<void> put_deferred(std::string_view key, std::string_view value) noexcept override {
    return guarded_void([&] { store(key, value, Durability::deferred); });
  }

  sdk::Result<void> erase_deferred(std::string_view key) noexcept override {
    return guarded_void([&] { remove(key, Durability::deferred); });
  }

  sdk::Result<std::vector<std::pair<std::string, std::string>>>
  list(std::string_view prefix) noexcept override {
    return guarded([&] {
      std::vector<std::pair<std::string, std::string>> out;
      auto query = db().prepare("SELECT key, value FROM plugin_kv WHERE plugin = ?1 AND "
                                "key >= ?2 AND key < ?3 ORDER BY key");
      query.bind(1, plugin_).bind(2, prefix).bind(3, prefix_upper_bound(prefix));
      while (query.step()) {
        out.emplace_back(query.text(0), query.text(1));
      }
      return out;
    });
  }

private:
  void store(std::string_view key, std::string_view value, Durability durability) {
    commit_with(durability, [&](Database &db) {
      db.prepare("INSERT INTO plugin_kv(plugin, key, value) VALUES(?1, ?2, ?3) "
                 "ON CONFLICT(plugin, key) DO UPDATE SET value = excluded.value")
          .bind(1, plugin_)
          .bind(2, key)
          .bind(3, value)
          .run();
    });
  }

  void remove(std::string_view key, Durability durability) {
    commit_with(durability, [&](Database &db) {
      db.prepare("DELETE FROM plugin_kv WHERE plugin = ?1 AND key = ?2")
          .bind(1, plugin_)
          .bind(2, key)
          .run();
    });
  }

  // One transaction at durability. The connection is synced again after a
  // deferred one, as put and erase promise, or dropped (the next call opens
  // a synced one) when it cannot be.
  template <class Body> void commit_with(Durability durability, const Body &body) {
    Database &database = db();
    if (durability != Durability::synced) {
      database.set_durability(durability);
    }
    try {
      Transaction transaction(database);
      body(database);
      transaction.commit();
    } catch (...) {
      restore_sync(durability);
      throw;
    }
    restore_sync(durability);
  }

  void restore_sync(Durability used) {
    if (used == Durability::synced) {
      return;
    }
    try {
      db_->set_durability(Durability::synced);
    } catch (const SqliteError &) {
      db_.reset();
    }
  }

  // Callers hold mutex_: the connection is opened without SQLite's own
  // mutex, and plugins may call from several threads (parallel filters).
  Database &db() {
    if (!db_) {
      std::filesystem::create_directories(state_root_);
      db_ = std::make_unique<Database>(state_root_ / "berth.db");
      db_->write("CREATE TABLE IF NOT EXISTS plugin_kv (plugin TEXT NOT NULL, key TEXT NOT NULL, "
                 "value TEXT NOT NULL, PRIMARY KEY (plugin, key)) WITHOUT ROWID");
    }
    return *db_;
  }

  template <class F> auto guarded(F &&body) -> sdk::Result<decltype(body())> {
    try {
      std::lock_guard lock(mutex_);
      return body();
    } catch (const std::exception &e) {
      return make_error(Errc::io, e.what(), "plugin '" + plugin_ + "' key-value store");
    }
  }

  template <class F> sdk::Result<void> guarded_void(F &&body) {
    try {
      std::lock_guard lock(mutex_);
      body();
      return {};
    } catch (const std::exception &e) {
      return make_error(Errc::io, e.what(), "plugin '" + plugin_ + "' key-value store");
    }
  }

  std::string plugin_;
  std::filesystem::path state_root_;
  std::mutex mutex_;
  std::unique_ptr<Database> db_;
};

} // namespace

std::atomic<bool> &cancellation_flag() noexcept {
  static std::atomic<bool> flag{false};
  return flag;
}

CoreHostServices::CoreHostServices(std::string plugin, std::filesystem::path state_root)
    : plugin_(std::move(plugin)), state_root_(std::move(state_root)), logger_(make_logger(plugin_)),
      kv_(std::make_unique<SqliteKeyValueStore>(plugin_, state_root_)),
      ipam_(std::make_unique<SqliteIpam>(state_root_)) {}

CoreHostServices::~CoreHostServices() = default;

sdk::Result<std::filesystem::path> CoreHostServices::state_dir() noexcept {
  auto dir = state_root_ / "plugins" / plugin_;
  // Snapshots and layers below: no other user may reach their setuid files.
  if (auto made = make_private_dir(state_root_ / "plugins", 0700); !made.ok()) {
    return std::move(made).error();
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return make_error(Errc::io, "mkdir: " + error.message(), dir.string());
  }
  return dir;
}

std::chrono::system_clock::time_point CoreHostServices::now() const noexcept {
  return std::chrono::system_clock::now();
}

bool CoreHostServices::cancelled() const noexcept {
  return cancellation_flag().load();
}

sdk::Ipam &CoreHostServices::ipam() noexcept {
  return *ipam_;
}

} // namespace berth
