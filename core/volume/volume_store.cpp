#include "volume/volume_store.hpp"

#include "container/container_config.hpp"
#include "container/monitor.hpp"
#include "util/private_dir.hpp"
#include "util/text.hpp"

#include <nlohmann/json.hpp>

#include <fstream>

#include <sys/stat.h>

namespace berth {
VolumeStore::VolumeStore(Database &db, std::filesystem::path root)
    : db_(db), root_(std::move(root)) {
  db_.write("CREATE TABLE IF NOT EXISTS volumes (name TEXT PRIMARY KEY, created TEXT NOT NULL, "
            "labels TEXT NOT NULL, anonymous INTEGER NOT NULL)");
}

std::filesystem::path VolumeStore::directory(const std::string &name) const {
  return root_ / "volumes" / name;
}

sdk::Result<VolumeRecord> VolumeStore::create(const std::string &name,
                                              const std::map<std::string, std::string> &labels,
                                              bool anonymous) {
  const auto chosen = name.empty() ? random_hex_id() : name;
  if (auto valid = check_container_name(chosen); !valid.ok()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "invalid volume name \"" + chosen +
                               "\": only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed");
  }
  if (auto existing = get(chosen)) {
    return *existing;
  }
  // Volumes hold what containers wrote, setuid files included: only root
  // walks into them.
  if (auto made = make_private_dir(root_ / "volumes", 0700); !made.ok()) {
    return std::move(made).error();
  }
  std::error_code ec;
  std::filesystem::create_directories(directory(chosen) / "_data", ec);
  if (ec) {
    return sdk::make_error(sdk::Errc::io, "mkdir: " + ec.message(), directory(chosen).string());
  }
  VolumeRecord record{chosen, rfc3339_now(), labels, anonymous, directory(chosen) / "_data"};
  Transaction transaction(db_);
  db_.prepare(
         "INSERT OR IGNORE INTO volumes (name, created, labels, anonymous) VALUES (?, ?, ?, ?)")
      .bind(1, record.name)
      .bind(2, record.created)
      .bind(3, nlohmann::json(labels).dump())
      .bind(4, std::int64_t{anonymous ? 1 : 0})
      .run();
  transaction.commit();
  return get(chosen).value_or(record);
}

std::optional<VolumeRecord> VolumeStore::get(const std::string &name) {
  auto query = db_.prepare("SELECT name, created, labels, anonymous FROM volumes WHERE name = ?");
  query.bind(1, name);
  if (!query.step()) {
    return std::nullopt;
  }
  return VolumeRecord{
      query.text(0), query.text(1),
      nlohmann::json::parse(query.text(2)).get<std::map<std::string, std::string>>(),
      query.integer(3) != 0, directory(query.text(0)) / "_data"};
}

std::vector<VolumeRecord> VolumeStore::list() {
  std::vector<VolumeRecord> volumes;
  auto query = db_.prepare("SELECT name FROM volumes ORDER BY name");
  std::vector<std::string> names;
  while (query.step()) {
    names.push_back(query.text(0));
  }
  for (const auto &name : names) {
    if (auto record = get(name)) {
      volumes.push_back(std::move(*record));
    }
  }
  return volumes;
}

sdk::Result<void> VolumeStore::remove(const std::string &name) {
  if (!get(name)) {
    return sdk::make_error(sdk::Errc::not_found, "no such volume", name);
  }
  // Row first: a crash between the two leaves a directory, never a row
  // naming a directory that is gone.
  Transaction transaction(db_);
  db_.prepare("DELETE FROM volumes WHERE name = ?").bind(1, name).run();
  transaction.commit();
  std::error_code ec;
  std::filesystem::remove_all(directory(name), ec);
  if (ec) {
    return sdk::make_error(sdk::Errc::io, "remove: " + ec.message(), directory(name).string());
  }
  return {};
}

void VolumeStore::adopt_unrecorded(std::int64_t booted_at) {
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(root_ / "volumes", ec)) {
    const auto name = entry.path().filename().string();
    struct stat info {};
    const bool earlier =
        ::stat(entry.path().c_str(), &info) == 0 && info.st_mtim.tv_sec < booted_at;
    if (earlier && !get(name)) {
      (void)create(name, {}, false);
    }
  }
}

} // namespace berth
