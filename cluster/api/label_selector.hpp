// Kubernetes label selectors as ?labelSelector= carries them:
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a` (exists) and
// `!a` (does not exist), joined by commas, all of which must hold.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::cluster::api {

class LabelSelector {
public:
  // nullopt with error set when text is malformed.
  static std::optional<LabelSelector> parse(const std::string &text, std::string &error);

  [[nodiscard]] bool matches(const std::map<std::string, std::string> &labels) const;
  [[nodiscard]] bool empty() const noexcept { return requirements_.empty(); }

private:
  enum class Op { equals, not_equals, in, not_in, exists, not_exists };
  struct Requirement {
    std::string key;
    Op op = Op::exists;
    std::vector<std::string> values;
  };
  static std::optional<Requirement> parse_requirement(const std::string &text, std::string &error);

  std::vector<Requirement> requirements_;
};

} // namespace berth::cluster::api
