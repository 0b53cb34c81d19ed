#include "cluster/api/label_selector.hpp"

#include <algorithm>

namespace berth::cluster::api {
namespace {

std::string trim(const std::string &text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// Splits at commas outside parentheses: "a in (x,y),b" -> {"a in (x,y)", "b"}.
std::vector<std::string> split_requirements(const std::string &text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (const char c : text) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (c == ',' && depth == 0) {
      parts.push_back(trim(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  parts.push_back(trim(current));
  return parts;
}

std::vector<std::string> parse_set(const std::string &text, std::string &error) {
  const std::string set = trim(text);
  if (set.size() < 2 || set.front() != '(' || set.back() != ')') {
    error = "expected a parenthesised set of values, got '" + set + "'";
    return {};
  }
  std::vector<std::string> values;
  for (const std::string &value : split_requirements(set.substr(1, set.size() - 2))) {
    values.push_back(value);
  }
  return values;
}

} // namespace

std::optional<LabelSelector::Requirement> LabelSelector::parse_requirement(const std::string &text,
                                                                           std::string &error) {
  Requirement requirement;
  if (text.empty()) {
    error = "empty requirement";
    return std::nullopt;
  }
  if (text.front() == '!') {
    requirement.key = trim(text.substr(1));
    requirement.op = Op::not_exists;
    return requirement;
  }
  for (const auto &[word, op] : {std::pair{" notin ", Op::not_in}, std::pair{" in ", Op::in}}) {
    const auto at = text.find(word);
    if (at != std::string::npos) {
      requirement.key = trim(text.substr(0, at));
      requirement.op = op;
      requirement.values = parse_set(text.substr(at + std::string(word).size()), error);
      return error.empty() ? std::optional(requirement) : std::nullopt;
    }
  }
  for (const auto &[symbol, op] :
       {std::pair{"!=", Op::not_equals}, std::pair{"==", Op::equals}, std::pair{"=", Op::equals}}) {
    const auto at = text.find(symbol);
    if (at != std::string::npos) {
      requirement.key = trim(text.substr(0, at));
      requirement.op = op;
      requirement.values = {trim(text.substr(at + std::string(symbol).size()))};
      return requirement;
    }
  }
  requirement.key = text;
  requirement.op = Op::exists;
  return requirement;
}

std::optional<LabelSelector> LabelSelector::parse(const std::string &text, std::string &error) {
  LabelSelector selector;
  if (trim(text).empty()) {
    return selector;
  }
  for (const std::string &part : split_requirements(text)) {
    auto requirement = parse_requirement(part, error);
    if (!requirement) {
      return std::nullopt;
    }
    if (requirement->key.empty() || requirement->key.find(' ') != std::string::npos) {
      error = "invalid label key in '" + part + "'";
      return std::nullopt;
    }
    selector.requirements_.push_back(std::move(*requirement));
  }
  return selector;
}

bool LabelSelector::matches(const std::map<std::string, std::string> &labels) const {
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const Requirement &want) {
    const auto found = labels.find(want.key);
    const bool present = found != labels.end();
    const auto in_values = [&] {
      return present &&
             std::find(want.values.begin(), want.values.end(), found->second) != want.values.end();
    };
    switch (want.op) {
    case Op::exists: return present;
    case Op::not_exists: return !present;
    case Op::equals:
    case Op::in: return in_values();
    // As in Kubernetes, != and notin also match objects without the label.
    case Op::not_equals:
    case Op::not_in: return !in_values();
    }
    return false;
  });
}

} // namespace berth::cluster::api
