#include "config/config_node.hpp"

#include <yaml-cpp/eventhandler.h>
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

// yaml-cpp shares an aliased node; this tree copies it. So "a: &a [*a]"
// would nest without end and aliases of aliases grow it exponentially (the
// "billion laughs"). No stack or workload file comes near these bounds.
constexpr int kMaxDepth = 100;
constexpr std::size_t kMaxValues = 100'000;

ConfigNode convert(const YAML::Node &node, int depth, std::size_t &values) {
  ConfigNode out;
  out.at = location_of(node.Mark());
  if (depth > kMaxDepth) {
    throw ConversionError{out.at, "nested more than " + std::to_string(kMaxDepth) +
                                      " levels deep; does an alias contain itself?"};
  }
  if (++values > kMaxValues) {
    throw ConversionError{out.at, "holds more than " + std::to_string(kMaxValues) +
                                      " values once its aliases are expanded"};
  }
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
      out.items.push_back(convert(item, depth + 1, values));
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
      out.entries.push_back(MapEntry{key, key_at, convert(pair.second, depth + 1, values)});
    }
    break;
  }
  }
  return out;
}

// Counts a stream's documents and remembers where the second starts.
// YAML::LoadAll cannot be used: on some malformed input ("!x,y]") yaml-cpp
// 0.7's parser stops making progress and reports one empty document after
// another at the same place, which LoadAll collects until memory runs out
// (jbeder/yaml-cpp#1040). Two in a row at one place mean it is stuck there.
class DocumentCounter final : public YAML::EventHandler {
public:
  static DocumentCounter count(const std::string &text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentCounter counter;
    while (!counter.stuck() && parser.HandleNextDocument(counter)) {
    }
    return counter;
  }

  [[nodiscard]] int documents() const { return documents_; }
  [[nodiscard]] const YAML::Mark &second_at() const { return second_at_; }
  [[nodiscard]] bool stuck() const { return empty_in_a_row_ >= 2; }
  // Where the parser stopped making progress, when stuck().
  [[nodiscard]] const YAML::Mark &stuck_at() const { return empty_at_; }

  void OnDocumentStart(const YAML::Mark & /*mark*/) override { root_ = true; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark &mark, YAML::anchor_t /*anchor*/) override {
    if (root_) {
      const bool same_place = empty_in_a_row_ > 0 && mark.pos == empty_at_.pos;
      empty_in_a_row_ = same_place ? empty_in_a_row_ + 1 : 1;
      empty_at_ = mark;
    }
    root(mark);
  }
  void OnAlias(const YAML::Mark &mark, YAML::anchor_t /*anchor*/) override { node(mark); }
  void OnScalar(const YAML::Mark &mark, const std::string & /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string & /*value*/) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark &mark, const std::string & /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark &mark, const std::string & /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnMapEnd() override {}

private:
  void node(const YAML::Mark &mark) {
    if (root_) {
      empty_in_a_row_ = 0;
    }
    root(mark);
  }

  // The first node of a document counts it.
  void root(const YAML::Mark &mark) {
    if (!root_) {
      return;
    }
    root_ = false;
    if (++documents_ == 2) {
      second_at_ = mark;
    }
  }

  int documents_ = 0;
  bool root_ = false;
  int empty_in_a_row_ = 0;
  YAML::Mark empty_at_ = YAML::Mark::null_mark();
  YAML::Mark second_at_ = YAML::Mark::null_mark();
};

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
    const auto counted = DocumentCounter::count(text);
    if (counted.stuck()) {
      const auto at = static_cast<std::size_t>(counted.stuck_at().pos);
      doc.error = at < text.size() ? "invalid YAML: unexpected '" + text.substr(at, 1) + "'"
                                   : std::string("invalid YAML: unexpected end of file");
      doc.error_at = location_of(counted.stuck_at());
      return doc;
    }
    if (counted.documents() > 1) {
      // yaml-cpp keeps no position for a document; its root node has one.
      doc.error = "holds " + std::to_string(counted.documents()) +
                  " YAML documents; a stack file holds exactly one";
      doc.error_at = location_of(counted.second_at());
      return doc;
    }
    std::size_t values = 0;
    doc.root = convert(YAML::Load(text), 0, values);
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
