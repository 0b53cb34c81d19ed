#include "cluster/api/resources.hpp"

#include "cluster/api/object_meta.hpp"
#include "http/base64.hpp"

#include <cctype>
#include <regex>

namespace berth::cluster::api {
namespace {

using nlohmann::json;
using Clock = std::chrono::system_clock;

std::string age_of(const json &object, Clock::time_point now) {
  const std::string created = object.value("/metadata/creationTimestamp"_json_pointer, "");
  if (created.empty()) {
    return "<unknown>";
  }
  return human_duration(
      std::chrono::duration_cast<std::chrono::seconds>(now - parse_timestamp(created)));
}

TableColumn name_column() {
  return {"Name", "string", "name",
          "Name must be unique within a namespace. Is required when creating resources.", 0};
}

TableColumn age_column() {
  return {"Age", "string", "",
          "CreationTimestamp is a timestamp representing the server time when this object was "
          "created.",
          0};
}

std::size_t size_of(const json &object, const char *field) {
  const auto found = object.find(field);
  return found != object.end() && found->is_object() ? found->size() : 0;
}

// data-like maps: an object of strings whose keys are valid config keys.
void check_string_map(const json &object, const std::string &field, bool base64_values,
                      std::vector<StatusCause> &causes) {
  static const std::regex key_pattern("[-._a-zA-Z0-9]+");
  static const std::regex base64_pattern("[A-Za-z0-9+/]*={0,2}");
  const auto found = object.find(field);
  if (found == object.end() || found->is_null()) {
    return;
  }
  if (!found->is_object()) {
    causes.push_back({field, "FieldValueInvalid", "must be a map of strings"});
    return;
  }
  for (const auto &[key, value] : found->items()) {
    std::string path = field;
    path.append("[").append(key).append("]");
    if (key.size() > 253 || !std::regex_match(key, key_pattern)) {
      causes.push_back({path, "FieldValueInvalid",
                        "a valid config key must consist of alphanumeric characters, '-', '_' "
                        "or '.'"});
    } else if (!value.is_string()) {
      causes.push_back({path, "FieldValueInvalid", "must be a string"});
    } else if (base64_values && !std::regex_match(value.get<std::string>(), base64_pattern)) {
      causes.push_back({path, "FieldValueInvalid", "must be base64-encoded"});
    }
  }
}

ResourceInfo described(std::string name, std::string singular, std::string kind, bool namespaced,
                       std::vector<std::string> short_names, std::vector<std::string> fields) {
  ResourceInfo info;
  info.name = std::move(name);
  info.singular = std::move(singular);
  info.kind = std::move(kind);
  info.namespaced = namespaced;
  info.short_names = std::move(short_names);
  info.fields = std::move(fields);
  return info;
}

ResourceInfo namespaces() {
  ResourceInfo info = described("namespaces", "namespace", "Namespace", false, {"ns"},
                                {"apiVersion", "kind", "metadata", "spec", "status"});
  info.columns = {
      name_column(), {"Status", "string", "", "The status of the namespace", 0}, age_column()};
  info.cells = [](const json &object, Clock::time_point now) {
    return json::array({name_of(object),
                        object.value("/status/phase"_json_pointer, std::string("Active")),
                        age_of(object, now)});
  };
  info.prepare = [](json &object) {
    // Kubernetes 1.21+ labels every namespace with its name, so selectors
    // can pick namespaces by name.
    object["metadata"]["labels"]["kubernetes.io/metadata.name"] = name_of(object);
    if (!object.contains("spec") || !object["spec"].is_object()) {
      object["spec"] = {{"finalizers", {"kubernetes"}}};
    }
    object["status"] = {{"phase", "Active"}};
    return std::vector<StatusCause>{};
  };
  return info;
}

ResourceInfo configmaps() {
  ResourceInfo info =
      described("configmaps", "configmap", "ConfigMap", true, {"cm"},
                {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"});
  info.columns = {name_column(),
                  {"Data", "string", "", "Number of keys in the data and binaryData", 0},
                  age_column()};
  info.cells = [](const json &object, Clock::time_point now) {
    return json::array({name_of(object), size_of(object, "data") + size_of(object, "binaryData"),
                        age_of(object, now)});
  };
  info.prepare = [](json &object) {
    std::vector<StatusCause> causes;
    check_string_map(object, "data", false, causes);
    check_string_map(object, "binaryData", true, causes);
    return causes;
  };
  return info;
}

ResourceInfo secrets() {
  ResourceInfo info =
      described("secrets", "secret", "Secret", true, {},
                {"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"});
  info.columns = {name_column(),
                  {"Type", "string", "", "The type of the secret", 0},
                  {"Data", "string", "", "Number of keys in the data", 0},
                  age_column()};
  info.cells = [](const json &object, Clock::time_point now) {
    return json::array({name_of(object), object.value("type", std::string("Opaque")),
                        size_of(object, "data"), age_of(object, now)});
  };
  info.prepare = [](json &object) {
    std::vector<StatusCause> causes;
    check_string_map(object, "stringData", false, causes);
    check_string_map(object, "data", true, causes);
    if (!causes.empty()) {
      return causes;
    }
    // stringData is write-only: merged into data (winning over it) and
    // never stored, as in Kubernetes.
    if (object.contains("stringData") && object["stringData"].is_object()) {
      for (const auto &[key, value] : object["stringData"].items()) {
        object["data"][key] = http::base64_encode(value.get<std::string>());
      }
    }
    object.erase("stringData");
    if (!object.contains("type") || object["type"] == "") {
      object["type"] = "Opaque";
    }
    return causes;
  };
  return info;
}

// Served so that `kubectl describe`, which lists an object's events, works;
// nothing in berth records events yet.
ResourceInfo events() {
  ResourceInfo info =
      described("events", "event", "Event", true, {"ev"},
                {"apiVersion", "kind", "metadata", "involvedObject", "reason", "message", "source",
                 "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "series",
                 "action", "related", "reportingComponent", "reportingInstance"});
  info.columns = {{"Last Seen", "string", "", "The time the event was last seen", 0},
                  {"Type", "string", "", "The type of the event", 0},
                  {"Reason", "string", "", "Why the event happened", 0},
                  {"Object", "string", "", "The object the event is about", 0},
                  {"Message", "string", "", "What happened", 0}};
  info.cells = [](const json &object, Clock::time_point now) {
    json seen = object;
    if (const std::string last = object.value("lastTimestamp", std::string()); !last.empty()) {
      seen["metadata"]["creationTimestamp"] = last;
    }
    const json involved = object.value("involvedObject", json::object());
    std::string kind = involved.value("kind", std::string());
    for (char &c : kind) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return json::array({age_of(seen, now), object.value("type", std::string()),
                        object.value("reason", std::string()),
                        kind + "/" + involved.value("name", std::string()),
                        object.value("message", std::string())});
  };
  info.prepare = [](json &object) {
    std::vector<StatusCause> causes;
    if (!object.contains("involvedObject") || !object["involvedObject"].is_object()) {
      causes.push_back({"involvedObject", "FieldValueRequired", "Required value"});
    }
    return causes;
  };
  return info;
}

} // namespace

const std::vector<ResourceInfo> &core_resources() {
  static const std::vector<ResourceInfo> resources{namespaces(), configmaps(), secrets(), events()};
  return resources;
}

const ResourceInfo *find_resource(const std::string &name) {
  for (const ResourceInfo &info : core_resources()) {
    if (info.name == name) {
      return &info;
    }
  }
  return nullptr;
}

const std::vector<std::string> &object_meta_fields() {
  static const std::vector<std::string> fields{"name",
                                               "generateName",
                                               "namespace",
                                               "uid",
                                               "resourceVersion",
                                               "generation",
                                               "creationTimestamp",
                                               "deletionTimestamp",
                                               "deletionGracePeriodSeconds",
                                               "labels",
                                               "annotations",
                                               "ownerReferences",
                                               "finalizers",
                                               "managedFields",
                                               "selfLink"};
  return fields;
}

} // namespace berth::cluster::api
