// Container records in root/berth.db: what was asked (the config), which
// image and snapshot, and where the container's directory is. What happened
// since (running, exit code) lives in the monitor's state file.
#pragma once

#include "container/container_config.hpp"
#include "store/sqlite.hpp"

#include <optional>
#include <string>
#include <vector>

namespace berth {

struct ContainerRecord {
  std::string id; // 64 hex digits
  std::string name;
  std::string image_id;
  std::string created; // RFC 3339
  std::string runtime; // backend name in the stack
  ContainerConfig config;
  std::vector<std::string> anonymous_volumes; // made for this container
};

class ContainerStore {
public:
  explicit ContainerStore(Database &db);

  // Fails with Errc::already_exists when the name is taken.
  sdk::Result<void> insert(const ContainerRecord &record);
  void remove(const std::string &id);
  void set_config(const std::string &id, const ContainerConfig &config);
  void set_anonymous_volumes(const std::string &id, const std::vector<std::string> &volumes);
  std::vector<ContainerRecord> list();
  std::optional<ContainerRecord> get(const std::string &id);
  // By full id, unique id prefix or name, as Docker resolves them.
  sdk::Result<ContainerRecord> find(const std::string &reference);
  // Names of the containers using an image.
  std::vector<std::string> users_of_image(const std::string &image_id);
  // Names of the containers mounting a named volume.
  std::vector<std::string> users_of_volume(const std::string &volume);

private:
  ContainerRecord read(Statement &row);

  Database &db_;
};

} // namespace berth
