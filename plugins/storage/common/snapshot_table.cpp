#include "common/snapshot_table.hpp"

#include "common/file_tree.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <random>
#include <set>
#include <system_error>

namespace berth::storage {
namespace {

constexpr std::string_view kPrefix = "snapshot/";

sdk::SnapshotKind kind_from(const std::string &name) {
  if (name == "committed") {
    return sdk::SnapshotKind::committed;
  }
  return name == "view" ? sdk::SnapshotKind::view : sdk::SnapshotKind::active;
}

std::string encode(const SnapshotRecord &record) {
  nlohmann::json json{
      {"id", record.id}, {"parent", record.parent}, {"kind", sdk::snapshot_kind_name(record.kind)}};
  if (!record.link.empty()) {
    json["link"] = record.link;
  }
  if (!record.lowers.empty()) {
    json["lowers"] = record.lowers;
  }
  return json.dump();
}

sdk::Result<SnapshotRecord> decode(const std::string &key, const std::string &text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("id")) {
    return sdk::make_error(sdk::Errc::internal, "snapshot record is corrupt", key);
  }
  SnapshotRecord record;
  record.key = key;
  record.id = json.value("id", "");
  record.parent = json.value("parent", "");
  record.kind = kind_from(json.value("kind", ""));
  record.link = json.value("link", "");
  record.lowers = json.value("lowers", std::vector<std::string>{});
  return record;
}

} // namespace

SnapshotTable::SnapshotTable(sdk::HostServices &host, std::filesystem::path root)
    : host_(host), root_(std::move(root)) {
  // Leftovers of a crash are cleared as the driver starts, not at its first
  // change: a command that changes no snapshot must still find them gone.
  Lock first(*this);
}

SnapshotTable::~SnapshotTable() {
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
  }
}

SnapshotTable::Lock::Lock(SnapshotTable &table) : guard_(table.mutex_) {
  // One open file for the table's life: the mutex orders this process's
  // threads, the flock other processes.
  if (table.lock_fd_ < 0) {
    const auto path = table.root_ / "lock";
    table.lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  }
  fd_ = table.lock_fd_;
  if (fd_ < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot open the lock " + (table.root_ / "lock").string());
  }
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "cannot lock the snapshot table");
    }
  }
  if (!table.collected_) {
    table.collected_ = true;
    if (auto done = table.collect_garbage(); !done.ok()) {
      table.host_.logger().warn("cleaning leftovers: " + done.error().describe());
    }
  }
}

SnapshotTable::Lock::~Lock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
  }
}

std::string SnapshotTable::new_id() {
  // Straight from the kernel's generator: short-lived processes seeded from
  // 32 bits would repeat each other's sequences.
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::string id(16, '0');
  auto bits = (static_cast<std::uint64_t>(device()) << 32U) | device();
  for (auto &c : id) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return id;
}

sdk::Result<std::optional<SnapshotRecord>> SnapshotTable::find(const std::string &key) {
  auto text = host_.kv().get(std::string(kPrefix) + key);
  if (!text.ok()) {
    return std::move(text).error();
  }
  if (!text->has_value()) {
    return std::optional<SnapshotRecord>{};
  }
  auto record = decode(key, **text);
  if (!record.ok()) {
    return std::move(record).error();
  }
  return std::optional<SnapshotRecord>(std::move(record).value());
}

sdk::Result<SnapshotRecord> SnapshotTable::get(const std::string &key) {
  auto found = find(key);
  if (!found.ok()) {
    return std::move(found).error();
  }
  if (!found->has_value()) {
    return sdk::make_error(sdk::Errc::not_found, "no such snapshot", key);
  }
  return std::move(**found);
}

// Deferred: a record lost to an operating-system crash takes only later
// commits with it (the container row that used the snapshot comes after its
// record), and the directory it described is removed as a leftover by the
// next collect_garbage().
sdk::Result<void> SnapshotTable::put(const SnapshotRecord &record) {
  return host_.kv().put_deferred(std::string(kPrefix) + record.key, encode(record));
}

sdk::Result<void> SnapshotTable::erase(const std::string &key) {
  return host_.kv().erase_deferred(std::string(kPrefix) + key);
}

sdk::Result<std::vector<SnapshotRecord>> SnapshotTable::list() {
  auto rows = host_.kv().list(kPrefix);
  if (!rows.ok()) {
    return std::move(rows).error();
  }
  std::vector<SnapshotRecord> records;
  records.reserve(rows->size());
  for (const auto &[name, text] : *rows) {
    auto record = decode(name.substr(kPrefix.size()), text);
    if (!record.ok()) {
      return std::move(record).error();
    }
    records.push_back(std::move(record).value());
  }
  return records;
}

sdk::Result<bool> SnapshotTable::has_children(const std::string &key) {
  auto records = list();
  if (!records.ok()) {
    return std::move(records).error();
  }
  for (const auto &record : *records) {
    if (record.parent == key) {
      return true;
    }
  }
  return false;
}

sdk::Result<bool> SnapshotTable::shared(const SnapshotRecord &record) {
  auto records = list();
  if (!records.ok()) {
    return std::move(records).error();
  }
  for (const auto &other : *records) {
    if (other.id == record.id && other.key != record.key) {
      return true;
    }
  }
  return false;
}

sdk::Result<std::optional<SnapshotRecord>> SnapshotTable::check_new(const std::string &key,
                                                                    const std::string &parent) {
  if (key.empty()) {
    return sdk::make_error(sdk::Errc::invalid_argument, "a snapshot key cannot be empty");
  }
  auto existing = find(key);
  if (!existing.ok()) {
    return std::move(existing).error();
  }
  if (existing->has_value()) {
    return sdk::make_error(sdk::Errc::already_exists, "snapshot already exists", key);
  }
  if (parent.empty()) {
    return std::optional<SnapshotRecord>{};
  }
  auto record = get(parent);
  if (!record.ok()) {
    return sdk::make_error(sdk::Errc::not_found, "parent snapshot '" + parent + "' does not exist",
                           key);
  }
  if (record->kind != sdk::SnapshotKind::committed) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "parent snapshot '" + parent + "' is not committed", key);
  }
  return std::optional<SnapshotRecord>(std::move(record).value());
}

// A change writes its directory first and its record last, and a removal
// drops the record first; so a directory without a record is a leftover.
sdk::Result<void> SnapshotTable::collect_garbage() {
  auto records = list();
  if (!records.ok()) {
    return std::move(records).error();
  }
  std::set<std::string> live;
  for (const auto &record : *records) {
    live.insert(record.id);
  }
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(root_ / "snapshots", ec)) {
    if (live.count(entry.path().filename().string()) == 0) {
      host_.logger().info("removing leftover snapshot directory " + entry.path().string());
      if (auto removed = remove_tree(entry.path()); !removed.ok()) {
        return removed;
      }
    }
  }
  // overlay2's short links whose snapshot is gone.
  for (const auto &entry : std::filesystem::directory_iterator(root_ / "l", ec)) {
    if (entry.is_symlink(ec) && !std::filesystem::exists(entry.path(), ec)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  return {};
}

} // namespace berth::storage
