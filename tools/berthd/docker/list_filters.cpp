#include "docker/list_filters.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace berth::berthd {
namespace {

const std::set<std::string> kKnownKeys = {"label",   "name",     "id",        "status", "ancestor",
                                          "network", "dangling", "reference", "driver", "type"};

bool any_of(const std::vector<std::string> &values,
            const std::function<bool(const std::string &)> &matches) {
  return values.empty() || std::any_of(values.begin(), values.end(), matches);
}

} // namespace

sdk::Result<ListFilters> ListFilters::parse(const std::string &text) {
  ListFilters filters;
  if (text.empty()) {
    return filters;
  }
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           R"(filters: expected a JSON object such as {"label":["k=v"]})");
  }
  for (const auto &[key, value] : json.items()) {
    if (kKnownKeys.count(key) == 0) {
      return sdk::make_error(sdk::Errc::invalid_argument, "invalid filter '" + key + "'");
    }
    auto &list = filters.values_[key];
    for (const auto &[item, flag] : value.items()) {
      list.push_back(value.is_array() ? flag.get<std::string>() : item);
    }
  }
  return filters;
}

const std::vector<std::string> &ListFilters::values(const std::string &key) const {
  static const std::vector<std::string> none;
  const auto found = values_.find(key);
  return found == values_.end() ? none : found->second;
}

bool ListFilters::match_labels(const std::map<std::string, std::string> &labels) const {
  // Every label filter must hold (Docker ANDs labels, ORs other values).
  const auto &wanted = values("label");
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string &want) {
    const auto equals = want.find('=');
    const auto found = labels.find(want.substr(0, equals));
    return found != labels.end() &&
           (equals == std::string::npos || found->second == want.substr(equals + 1));
  });
}

bool ListFilters::match_container(const ContainerView &view) const {
  const auto &record = view.record;
  const auto network = record.config.network.empty() ? "bridge" : record.config.network;
  return match_labels(record.config.labels) &&
         any_of(values("name"),
                [&](const std::string &name) {
                  return record.name.find(name.starts_with('/') ? name.substr(1) : name) !=
                         std::string::npos;
                }) &&
         any_of(values("id"), [&](const std::string &id) { return record.id.starts_with(id); }) &&
         any_of(values("status"),
                [&](const std::string &status) { return view.state.status == status; }) &&
         any_of(values("ancestor"),
                [&](const std::string &image) {
                  return record.config.image == image || record.image_id == image ||
                         record.config.image == image + ":latest";
                }) &&
         any_of(values("network"), [&](const std::string &name) { return network == name; });
}

} // namespace berth::berthd
