// Named and anonymous volumes: directories under root/volumes/NAME/_data
// with a row each in root/berth.db. A volume outlives the containers that
// mount it; whether one is in use is the container store's answer.
#pragma once

#include "store/sqlite.hpp"

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct VolumeRecord {
  std::string name;
  std::string created; // RFC 3339
  std::map<std::string, std::string> labels;
  bool anonymous = false;
  std::filesystem::path mountpoint; // the directory containers bind
};

class VolumeStore {
public:
  VolumeStore(Database &db, std::filesystem::path root);

  // An existing volume of that name is returned as it is, as Docker does.
  sdk::Result<VolumeRecord>
  create(const std::string &name, const std::map<std::string, std::string> &labels, bool anonymous);
  std::optional<VolumeRecord> get(const std::string &name);
  std::vector<VolumeRecord> list();
  // Deletes the directory and the row; the caller checked it is unused.
  sdk::Result<void> remove(const std::string &name);
  // Records every volume directory left without a row by an earlier boot
  // (an operating-system crash took the row's commit), as a named volume,
  // so that what the containers wrote there is listed and kept.
  void adopt_unrecorded(std::int64_t booted_at);

private:
  [[nodiscard]] std::filesystem::path directory(const std::string &name) const;

  Database &db_;
  std::filesystem::path root_;
};

} // namespace berth
