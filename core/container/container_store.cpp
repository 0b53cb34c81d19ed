#include "container/container_store.hpp"

namespace berth {
namespace {

constexpr const char *kColumns = "id, name, image_id, created, runtime, config, anonymous_volumes";

} // namespace

ContainerStore::ContainerStore(Database &db) : db_(db) {
  db_.write("CREATE TABLE IF NOT EXISTS containers ("
            "id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image_id TEXT NOT NULL, "
            "created TEXT NOT NULL, runtime TEXT NOT NULL, config TEXT NOT NULL, "
            "anonymous_volumes TEXT NOT NULL DEFAULT '[]')");
}

sdk::Result<void> ContainerStore::insert(const ContainerRecord &record) {
  Transaction transaction(db_);
  auto taken = db_.prepare("SELECT id FROM containers WHERE name = ?");
  taken.bind(1, record.name);
  if (taken.step()) {
    const auto other = taken.text(0);
    return sdk::make_error(sdk::Errc::already_exists,
                           "the container name \"/" + record.name +
                               "\" is already in use by container \"" + other +
                               "\"; remove (berth rm) or rename that container to reuse the name");
  }
  db_.prepare("INSERT INTO containers (id, name, image_id, created, runtime, config, "
              "anonymous_volumes) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, record.id)
      .bind(2, record.name)
      .bind(3, record.image_id)
      .bind(4, record.created)
      .bind(5, record.runtime)
      .bind(6, to_json(record.config).dump())
      .bind(7, nlohmann::json(record.anonymous_volumes).dump())
      .run();
  transaction.commit();
  return {};
}

void ContainerStore::remove(const std::string &id) {
  Transaction transaction(db_);
  db_.prepare("DELETE FROM containers WHERE id = ?").bind(1, id).run();
  transaction.commit();
}

void ContainerStore::set_config(const std::string &id, const ContainerConfig &config) {
  Transaction transaction(db_);
  db_.prepare("UPDATE containers SET config = ? WHERE id = ?")
      .bind(1, to_json(config).dump())
      .bind(2, id)
      .run();
  transaction.commit();
}

void ContainerStore::set_anonymous_volumes(const std::string &id,
                                           const std::vector<std::string> &volumes) {
  Transaction transaction(db_);
  db_.prepare("UPDATE containers SET anonymous_volumes = ? WHERE id = ?")
      .bind(1, nlohmann::json(volumes).dump())
      .bind(2, id)
      .run();
  transaction.commit();
}

ContainerRecord ContainerStore::read(Statement &row) {
  ContainerRecord record;
  record.id = row.text(0);
  record.name = row.text(1);
  record.image_id = row.text(2);
  record.created = row.text(3);
  record.runtime = row.text(4);
  record.config = config_from_json(nlohmann::json::parse(row.text(5)));
  record.anonymous_volumes = nlohmann::json::parse(row.text(6)).get<std::vector<std::string>>();
  return record;
}

std::vector<ContainerRecord> ContainerStore::list() {
  std::vector<ContainerRecord> records;
  auto query =
      db_.prepare(std::string("SELECT ") + kColumns + " FROM containers ORDER BY created DESC");
  while (query.step()) {
    records.push_back(read(query));
  }
  return records;
}

std::optional<ContainerRecord> ContainerStore::get(const std::string &id) {
  auto query = db_.prepare(std::string("SELECT ") + kColumns + " FROM containers WHERE id = ?");
  query.bind(1, id);
  if (!query.step()) {
    return std::nullopt;
  }
  return read(query);
}

sdk::Result<ContainerRecord> ContainerStore::find(const std::string &reference) {
  const auto name = reference.starts_with("/") ? reference.substr(1) : reference;
  {
    auto query = db_.prepare(std::string("SELECT ") + kColumns +
                             " FROM containers WHERE id = ? OR name = ?");
    query.bind(1, reference).bind(2, name);
    if (query.step()) {
      return read(query);
    }
  }
  std::vector<ContainerRecord> matches;
  if (!reference.empty() && reference.find_first_not_of("0123456789abcdef") == std::string::npos) {
    auto query = db_.prepare(std::string("SELECT ") + kColumns +
                             " FROM containers WHERE id >= ? AND id < ?");
    query.bind(1, reference).bind(2, reference + "g");
    while (query.step()) {
      matches.push_back(read(query));
    }
  }
  if (matches.size() == 1) {
    return matches.front();
  }
  if (matches.size() > 1) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "multiple containers match the id prefix; give more digits", reference);
  }
  return sdk::make_error(sdk::Errc::not_found,
                         "no such container; see 'berth ps -a' for the ones there are", reference);
}

std::vector<std::string> ContainerStore::users_of_image(const std::string &image_id) {
  std::vector<std::string> names;
  auto query = db_.prepare("SELECT name FROM containers WHERE image_id = ? ORDER BY name");
  query.bind(1, image_id);
  while (query.step()) {
    names.push_back(query.text(0));
  }
  return names;
}

std::vector<std::string> ContainerStore::users_of_volume(const std::string &volume) {
  std::vector<std::string> names;
  for (const auto &record : list()) {
    const auto &mounts = record.config.volumes;
    const bool named = std::any_of(mounts.begin(), mounts.end(), [&](const VolumeMount &m) {
      return m.kind == VolumeMount::Kind::volume && m.source == volume;
    });
    const auto &anonymous = record.anonymous_volumes;
    if (named || std::find(anonymous.begin(), anonymous.end(), volume) != anonymous.end()) {
      names.push_back(record.name);
    }
  }
  return names;
}

} // namespace berth
