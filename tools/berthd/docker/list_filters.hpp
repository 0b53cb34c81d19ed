// Docker's list filters (?filters=), which come in two shapes: the docker
// CLI sends {"label":{"k=v":true}}, docker-py and compose {"label":["k=v"]}.
#pragma once

#include "engine/engine.hpp"

#include <berth/sdk/result.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace berth::berthd {

class ListFilters {
public:
  // Fails with invalid_argument on malformed JSON or an unknown filter.
  static sdk::Result<ListFilters> parse(const std::string &text);

  // label (KEY or KEY=VALUE), name (a substring), id (a prefix), status,
  // ancestor (the image as created) and network: each given filter must
  // match one of its values.
  [[nodiscard]] bool match_container(const ContainerView &view) const;
  // Labels alone, for volumes, networks and images.
  [[nodiscard]] bool match_labels(const std::map<std::string, std::string> &labels) const;
  [[nodiscard]] const std::vector<std::string> &values(const std::string &key) const;

private:
  std::map<std::string, std::vector<std::string>> values_;
};

} // namespace berth::berthd
