#include "config/config_node.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace berth {
namespace {

Location location_of(const YAML::Mark &mark) {
  if (mark.is_null()) {
    return {};
  }
  return {mark.line + 1, mark.column + 1};
}

// Thrown inside this file only; parse_yaml turns it into ParsedDocument.
struct ConversionError {
  Location at;
  std::string message;
};

ConfigNode convert(const YAML::Node &node) {
  ConfigNode out;
  out.at = location_of(node.Mark());
  switch (node.Type()) {
  case YAML::NodeType::Undefined:
  case YAML::NodeType::Null: out.kind = ConfigNode::Kind::null; break;
  case YAML::NodeType::Scalar:
    out.kind = ConfigNode::Kind::scalar;
    out.scalar = node.Scalar();
    out.plain = node.Tag() != "!"; // yaml-cpp tags quoted scalars "!"
    break;
  case YAML::NodeType::Sequence:
    out.kind = ConfigNode::Kind::sequence;
    for (const auto &item : node) {
      out.items.push_back(convert(item));
    }
    break;
  case YAML::NodeType::Map: {
    out.kind = ConfigNode::Kind::map;
    std::set<std::string> seen;
    for (const auto &pair : node) {
      const auto key_at = location_of(pair.first.Mark());
      if (!pair.first.IsScalar()) {
        throw ConversionError{key_at, "keys must be plain strings"};
      }
      const auto &key = pair.first.Scalar();
      if (!seen.insert(key).second) {
        throw ConversionError{key_at, "duplicate key '" + key + "'"};
      }
      out.entries.push_back(MapEntry{key, key_at, convert(pair.second)});
    }
    break;
  }
  }
  return out;
}

} // namespace

const ConfigNode *ConfigNode::find(std::string_view key) const noexcept {
  for (const auto &entry : entries) {
    if (entry.key == key) {
      return &entry.value;
    }
  }
  return nullptr;
}

std::string_view describe_kind(const ConfigNode &node) noexcept {
  switch (node.kind) {
  case ConfigNode::Kind::null: return "nothing";
  case ConfigNode::Kind::scalar: return "a value";
  case ConfigNode::Kind::sequence: return node.items.empty() ? "an empty list" : "a list";
  case ConfigNode::Kind::map: return node.entries.empty() ? "an empty mapping" : "a mapping";
  }
  return "nothing";
}

std::optional<std::string> read_config_file(const std::filesystem::path &file,
                                            std::string_view what, std::string &error) {
  std::error_code ignored;
  if (std::filesystem::is_directory(file, ignored)) {
    error = "is a directory; name the " + std::string(what) + " inside it";
    return std::nullopt;
  }
  std::ifstream in(file);
  if (!in) {
    error = "cannot read the " + std::string(what) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ParsedDocument parse_yaml(const std::string &text) {
  ParsedDocument doc;
  try {
    const auto documents = YAML::LoadAll(text);
    if (documents.size() > 1) {
      // yaml-cpp keeps no position for a document; its root node has one.
      doc.error = "holds " + std::to_string(documents.size()) +
                  " YAML documents; a stack file holds exactly one";
      doc.error_at = location_of(documents[1].Mark());
      return doc;
    }
    doc.root = documents.empty() ? ConfigNode{} : convert(documents.front());
  } catch (const YAML::Exception &e) {
    doc.error = "invalid YAML: " + e.msg;
    doc.error_at = location_of(e.mark);
  } catch (const ConversionError &e) {
    doc.error = e.message;
    doc.error_at = e.at;
  }
  return doc;
}

} // namespace berth
