// A parsed YAML document that remembers where every value came from.
//
// yaml-cpp stays inside config_node.cpp; the validator and everything after
// it work on this small tree, which also makes duplicate keys detectable
// (yaml-cpp silently keeps one of them).
#pragma once

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

struct Location {
  int line = 0;           // 1-based; 0 when unknown
  int column = 0;         // 1-based
  bool inherited = false; // from the built-in default stack, not the file being read
};

struct MapEntry;

struct ConfigNode {
  enum class Kind { null, scalar, sequence, map };

  Kind kind = Kind::null;
  std::string scalar;
  bool plain = true; // unquoted scalar: may be read as a bool or number
  std::vector<ConfigNode> items;
  std::vector<MapEntry> entries;
  Location at;

  [[nodiscard]] const ConfigNode *find(std::string_view key) const noexcept;
  [[nodiscard]] bool is_map() const noexcept { return kind == Kind::map; }
};

struct MapEntry {
  std::string key;
  Location key_at;
  ConfigNode value;
};

// "a mapping", "a list", "a value", "nothing": for type errors.
std::string_view describe_kind(const ConfigNode &node) noexcept;

struct ParsedDocument {
  ConfigNode root;
  std::string error; // "LINE:COL: message" position prefix excluded; empty if ok
  Location error_at;
};

ParsedDocument parse_yaml(const std::string &text);

// The text of a YAML file of the given kind ("stack file", "workload file"),
// or nullopt with the reason in error: "is a directory; name the stack file
// inside it", "cannot read the stack file: No such file or directory".
std::optional<std::string> read_config_file(const std::filesystem::path &file,
                                            std::string_view what, std::string &error);

} // namespace berth
