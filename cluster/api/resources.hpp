// The kinds the API server serves and what differs between them: their
// names in discovery, the fields they have, their defaults and validation,
// and their columns in `kubectl get`. Everything else (storage, REST verbs,
// watch) is generic and lives in rest_*.cpp.
#pragma once

#include "cluster/api/status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace berth::cluster::api {

struct TableColumn {
  std::string name; // shown upper-cased by kubectl
  std::string type; // "string", "integer", "date"
  std::string format;
  std::string description;
  int priority = 0; // > 0: only with -o wide
};

struct ResourceInfo {
  std::string name;     // plural, in URLs: "configmaps"
  std::string singular; // "configmap"
  std::string kind;     // "ConfigMap"
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> fields; // the top-level fields the kind has
  std::vector<TableColumn> columns;
  // One table row's cells, in the order of columns.
  std::function<nlohmann::json(const nlohmann::json &object,
                               std::chrono::system_clock::time_point now)>
      cells;
  // Fills defaults in and returns what is invalid (empty: valid); runs on
  // every create and update, after the generic metadata checks.
  std::function<std::vector<StatusCause>(nlohmann::json &object)> prepare;
};

// The core/v1 resources berth serves, in discovery order.
const std::vector<ResourceInfo> &core_resources();
// By plural name; nullptr when berth does not serve it.
const ResourceInfo *find_resource(const std::string &name);

// The fields of ObjectMeta berth keeps; others are unknown fields.
const std::vector<std::string> &object_meta_fields();

} // namespace berth::cluster::api
