// Store keys, decoding, and the checks every write runs before a kind's own
// validation: body shape, unknown fields (fieldValidation), names and
// namespaces.
#include "cluster/api/object_meta.hpp"
#include "cluster/api/protobuf_body.hpp"
#include "cluster/api/rest.hpp"
#include "cluster/api/rest_checks.hpp"

#include <algorithm>

namespace berth::cluster::api {

using nlohmann::json;

std::string object_key(const ObjectRef &ref) {
  std::string key = "/registry/" + ref.resource->name + "/";
  if (ref.resource->namespaced) {
    key += ref.namespace_ + "/";
  }
  return key + ref.name;
}

KeyRange collection_range(const ObjectRef &ref) {
  std::string prefix = "/registry/" + ref.resource->name + "/";
  if (ref.resource->namespaced && !ref.namespace_.empty()) {
    prefix += ref.namespace_ + "/";
  }
  return KeyRange::prefix(prefix);
}

json decode_object(const KeyValue &kv) {
  json object = json::parse(kv.value, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    object = json::object();
  }
  object["metadata"]["resourceVersion"] = std::to_string(kv.mod_revision);
  return object;
}

json parse_body(const http::Request &request) {
  if (request.header("content-type").rfind(kProtobufContentType, 0) == 0) {
    std::string error;
    auto decoded = decode_protobuf_object(request.body, error);
    if (!decoded) {
      throw ApiError{415, "UnsupportedMediaType", error, {}, {}, {}};
    }
    return std::move(*decoded);
  }
  json object = json::parse(request.body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    throw bad_request("the request body is not a JSON object");
  }
  return object;
}

namespace {

bool known(const std::vector<std::string> &fields, const std::string &field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

} // namespace

std::vector<std::string> drop_unknown_fields(const ResourceInfo &resource, json &object) {
  std::vector<std::string> unknown;
  for (auto it = object.begin(); it != object.end();) {
    if (known(resource.fields, it.key())) {
      ++it;
      continue;
    }
    unknown.push_back(it.key());
    it = object.erase(it);
  }
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    return unknown;
  }
  json &metadata = object["metadata"];
  for (auto it = metadata.begin(); it != metadata.end();) {
    if (known(object_meta_fields(), it.key())) {
      ++it;
      continue;
    }
    unknown.push_back("metadata." + it.key());
    it = metadata.erase(it);
  }
  return unknown;
}

std::vector<std::string> apply_field_validation(const ResourceInfo &resource, json &object,
                                                const http::Request &request) {
  std::vector<std::string> unknown = drop_unknown_fields(resource, object);
  const std::string mode = request.query_value("fieldValidation");
  if (unknown.empty() || mode == "Ignore") {
    return {};
  }
  if (mode == "Strict") {
    std::string message = "strict decoding error: ";
    for (std::size_t i = 0; i < unknown.size(); ++i) {
      message += (i == 0 ? "" : ", ") + std::string("unknown field \"") + unknown[i] + "\"";
    }
    throw bad_request(message);
  }
  return unknown; // Warn (the default): a Warning header per field
}

void check_identity(const ObjectRef &ref, json &object) {
  const ResourceInfo &resource = *ref.resource;
  if (object.contains("kind") && object["kind"] != resource.kind) {
    throw bad_request("the kind of the object (" + object["kind"].dump() +
                      ") does not match the resource " + resource.name + " (" + resource.kind +
                      ")");
  }
  if (object.contains("apiVersion") && object["apiVersion"] != "v1") {
    throw bad_request("the apiVersion of the object (" + object["apiVersion"].dump() +
                      ") does not match v1");
  }
  object["kind"] = resource.kind;
  object["apiVersion"] = "v1";
  if (!object.contains("metadata") || !object["metadata"].is_object()) {
    object["metadata"] = json::object();
  }
  json &metadata = object["metadata"];
  if (!resource.namespaced) {
    metadata.erase("namespace");
    return;
  }
  const std::string given = metadata.value("namespace", std::string());
  if (!given.empty() && given != ref.namespace_) {
    throw bad_request("the namespace of the provided object (" + given +
                      ") does not match the namespace sent on the request (" + ref.namespace_ +
                      ")");
  }
  metadata["namespace"] = ref.namespace_;
}

std::vector<StatusCause> check_metadata(const ResourceInfo &resource, const json &object) {
  std::vector<StatusCause> causes;
  const json &metadata = object["metadata"];
  const std::string name = metadata.value("name", std::string());
  const std::string problem =
      resource.namespaced ? check_dns_subdomain(name) : check_dns_label(name);
  if (name.empty()) {
    causes.push_back({"metadata.name", "FieldValueRequired", "name or generateName is required"});
  } else if (!problem.empty()) {
    causes.push_back(
        {"metadata.name", "FieldValueInvalid", "Invalid value: \"" + name + "\": " + problem});
  }
  for (const char *map : {"labels", "annotations"}) {
    const auto found = metadata.find(map);
    if (found == metadata.end() || found->is_null()) {
      continue;
    }
    const bool strings =
        found->is_object() && std::all_of(found->begin(), found->end(),
                                          [](const json &value) { return value.is_string(); });
    if (!strings) {
      causes.push_back(
          {std::string("metadata.") + map, "FieldValueInvalid", "must be a map of strings"});
    }
  }
  return causes;
}

} // namespace berth::cluster::api
