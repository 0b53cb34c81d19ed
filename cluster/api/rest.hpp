// The generic REST verbs over the state store, the same for every kind in
// resources.hpp. Objects are stored as their JSON under
// /registry/<resource>/<namespace>/<name> (cluster-scoped:
// /registry/<resource>/<name>); resourceVersion is the key's mod revision and
// is never stored inside the value.
//
// Handlers throw ApiError; the server turns it into a Status reply.
#pragma once

#include "cluster/api/resources.hpp"
#include "cluster/api/status.hpp"
#include "cluster/store/state_store.hpp"
#include "http/message.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace berth::cluster::api {

// Which object a request is about: name is "" for collection verbs,
// namespace_ is "" for cluster-scoped kinds and for lists across namespaces.
struct ObjectRef {
  const ResourceInfo *resource = nullptr;
  std::string namespace_;
  std::string name;
};

class RestHandlers {
public:
  explicit RestHandlers(StateStore &store) : store_(store) {}

  http::Response get(const ObjectRef &ref, const http::Request &request);
  // list, or watch when ?watch=true.
  http::Response list(const ObjectRef &ref, const http::Request &request);
  http::Response create(const ObjectRef &ref, const http::Request &request);
  http::Response update(const ObjectRef &ref, const http::Request &request);
  http::Response patch(const ObjectRef &ref, const http::Request &request);
  http::Response remove(const ObjectRef &ref, const http::Request &request);

  // Creates the namespace unless it exists (default, kube-system at start).
  void ensure_namespace(const std::string &name);

private:
  http::Response watch(const ObjectRef &ref, const http::Request &request);
  // Validates, defaults and stores a new object (under dry run, only
  // checks that it could); returns it as stored.
  nlohmann::json insert(const ObjectRef &ref, nlohmann::json object, bool dry_run = false);
  void delete_namespace_contents(const std::string &namespace_name);

  StateStore &store_;
};

// The store key of one object, and the key range of a collection.
std::string object_key(const ObjectRef &ref);
KeyRange collection_range(const ObjectRef &ref);
// The stored JSON with metadata.resourceVersion filled in from the key.
nlohmann::json decode_object(const KeyValue &kv);
// The object a POST or PUT carries, JSON or (kubectl 1.32's generators)
// protobuf. Throws ApiError 400 when it is not an object, 415 when berth
// cannot read its encoding.
nlohmann::json parse_body(const http::Request &request);

// kubectl get asks for `application/json;as=Table;v=v1;g=meta.k8s.io`.
bool wants_table(const http::Request &request);
nlohmann::json to_table(const ResourceInfo &resource, const std::vector<nlohmann::json> &objects,
                        const std::string &resource_version);

// Field selectors: `metadata.name=x,metadata.namespace!=y` against any field
// path of the object.
bool matches_fields(const nlohmann::json &object, const std::string &selector);

} // namespace berth::cluster::api
