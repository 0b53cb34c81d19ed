#include "config/checker.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace berth {

std::string child_path(const std::string &parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

bool is_valid_object_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || std::isalnum(static_cast<unsigned char>(name[0])) == 0) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

std::string index_path(const std::string &parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

void Checker::error(Location at, std::string path, std::string message) {
  // A file that inherits a default it cannot use is told where that came from.
  auto file = at.inherited ? std::string(kBuiltinStackName) : file_;
  diagnostics_.push_back(Diagnostic{std::move(file), at, std::move(path), std::move(message)});
}

bool Checker::expect_map(const ConfigNode &node, const std::string &path) {
  if (node.is_map()) {
    return true;
  }
  error(node.at, path, "expected a mapping, got " + std::string(describe_kind(node)));
  return false;
}

void Checker::allow_keys(const ConfigNode &map, const std::string &path,
                         const std::vector<std::string> &names) {
  for (const auto &entry : map.entries) {
    if (std::find(names.begin(), names.end(), entry.key) != names.end()) {
      continue;
    }
    error(entry.key_at, child_path(path, entry.key),
          "unknown key '" + entry.key + "'" + did_you_mean(entry.key, names) +
              " (allowed: " + join(names, ", ") + ")");
  }
}

const ConfigNode *Checker::require(const ConfigNode &map, std::string_view key,
                                   const std::string &path) {
  if (const auto *value = map.find(key)) {
    return value;
  }
  error(map.at, path.empty() ? std::string(key) : path,
        "missing required key '" + std::string(key) + "'");
  return nullptr;
}

std::optional<std::string> Checker::scalar(const ConfigNode &node, const std::string &path) {
  if (node.kind == ConfigNode::Kind::scalar) {
    return node.scalar;
  }
  error(node.at, path, "expected a value, got " + std::string(describe_kind(node)));
  return std::nullopt;
}

std::optional<std::int64_t> Checker::integer(const ConfigNode &node, const std::string &path) {
  auto text = scalar(node, path);
  if (!text) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto *end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    error(node.at, path, "expected a whole number, got '" + *text + "'");
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::pair<std::string, Location>>>
Checker::scalar_list(const ConfigNode &node, const std::string &path) {
  if (node.kind != ConfigNode::Kind::sequence) {
    error(node.at, path, "expected a list, got " + std::string(describe_kind(node)));
    return std::nullopt;
  }
  std::vector<std::pair<std::string, Location>> out;
  bool ok = true;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    auto text = scalar(node.items[i], index_path(path, i));
    if (text) {
      out.emplace_back(*text, node.items[i].at);
    }
    ok = ok && text.has_value();
  }
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

} // namespace berth
