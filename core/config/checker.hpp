// Collects diagnostics while walking a ConfigNode tree. Shared by the stack
// parser (structure) and the resolver (plugin options).
#pragma once

#include "config/config_node.hpp"
#include "config/diagnostic.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

std::string child_path(const std::string &parent, std::string_view key);
// Names of networks, backends and profiles: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64.
bool is_valid_object_name(std::string_view name);
std::string index_path(const std::string &parent, std::size_t index);

class Checker {
public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  void error(Location at, std::string path, std::string message);
  [[nodiscard]] bool ok() const noexcept { return diagnostics_.empty(); }
  Diagnostics take() { return std::move(diagnostics_); }

  // False (and an error) unless node is a mapping.
  bool expect_map(const ConfigNode &node, const std::string &path);
  // An error for each key of map not in allowed, with a "did you mean".
  void allow_keys(const ConfigNode &map, const std::string &path,
                  const std::vector<std::string> &allowed);
  void allow_keys(const ConfigNode &map, const std::string &path,
                  std::initializer_list<std::string_view> allowed) {
    allow_keys(map, path, std::vector<std::string>(allowed.begin(), allowed.end()));
  }
  // The value under key, or nullptr and an error naming the missing key.
  const ConfigNode *require(const ConfigNode &map, std::string_view key, const std::string &path);

  std::optional<std::string> scalar(const ConfigNode &node, const std::string &path);
  std::optional<std::int64_t> integer(const ConfigNode &node, const std::string &path);
  // A list of plain values; each item keeps its location.
  std::optional<std::vector<std::pair<std::string, Location>>> scalar_list(const ConfigNode &node,
                                                                           const std::string &path);

private:
  std::string file_;
  Diagnostics diagnostics_;
};

} // namespace berth
