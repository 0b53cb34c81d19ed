// POST, PUT, PATCH and DELETE of one object.
#include "cluster/api/object_meta.hpp"
#include "cluster/api/rest.hpp"
#include "cluster/api/rest_checks.hpp"

#include <algorithm>

namespace berth::cluster::api {
namespace {

using nlohmann::json;

// How often a PATCH re-reads and re-applies when a concurrent write won the
// race, as kube-apiserver retries its own read-modify-write.
constexpr int kPatchAttempts = 5;

void add_warnings(http::Response &response, const std::vector<std::string> &unknown) {
  for (const std::string &field : unknown) {
    response.headers.emplace_back("Warning", R"(299 - "unknown field \")" + field + R"(\"")");
  }
}

void validate(const ResourceInfo &resource, json &object) {
  std::vector<StatusCause> causes = check_metadata(resource, object);
  if (causes.empty()) {
    causes = resource.prepare(object);
  }
  if (!causes.empty()) {
    throw invalid(resource.kind, name_of(object), std::move(causes));
  }
}

void require_namespace(StateStore &store, const ObjectRef &ref) {
  if (!ref.resource->namespaced) {
    return;
  }
  const ObjectRef namespace_ref{find_resource("namespaces"), "", ref.namespace_};
  if (auto found = store.get(object_key(namespace_ref)); !found) {
    throw from_store(found.error(), "namespaces", ref.namespace_);
  }
}

KeyValue read_existing(StateStore &store, const ObjectRef &ref) {
  auto kv = store.get(object_key(ref));
  if (!kv) {
    throw from_store(kv.error(), ref.resource->name, ref.name);
  }
  return std::move(kv).value();
}

// Fields a client cannot change after create, carried over from the stored
// object whatever the new one says.
void keep_immutable_fields(const json &existing, json &object) {
  for (const char *field : {"uid", "creationTimestamp"}) {
    if (existing["metadata"].contains(field)) {
      object["metadata"][field] = existing["metadata"][field];
    }
  }
}

// Strategic-merge-patch directives ($setElementOrder/..., $retainKeys,
// $patch, ...) only change how lists with merge keys merge; the kinds berth
// serves so far have none, so the rest of the patch merges as a JSON merge
// patch does.
void strip_directives(json &patch) {
  if (!patch.is_object()) {
    return;
  }
  for (auto it = patch.begin(); it != patch.end();) {
    if (!it.key().empty() && it.key().front() == '$') {
      it = patch.erase(it);
    } else {
      strip_directives(it.value());
      ++it;
    }
  }
}

json apply_patch(const json &current, const http::Request &request) {
  std::string type = request.header("content-type");
  type = type.substr(0, type.find(';'));
  const json patch = json::parse(request.body, nullptr, false);
  if (patch.is_discarded()) {
    throw bad_request("the patch is not valid JSON");
  }
  try {
    if (type == "application/json-patch+json") {
      return current.patch(patch);
    }
    json result = current;
    if (type == "application/merge-patch+json") {
      result.merge_patch(patch);
      return result;
    }
    if (type == "application/strategic-merge-patch+json") {
      json stripped = patch;
      strip_directives(stripped);
      result.merge_patch(stripped);
      return result;
    }
  } catch (const json::exception &error) {
    throw ApiError{422, "Invalid", std::string("the patch cannot be applied: ") + error.what(),
                   {},  {},        {}};
  }
  throw ApiError{415,
                 "UnsupportedMediaType",
                 "the body of the request was in an unknown format - accepted media types "
                 "include: application/json-patch+json, application/merge-patch+json, "
                 "application/strategic-merge-patch+json",
                 {},
                 {},
                 {}};
}

// ?dryRun=All (kubectl --dry-run=server): every check runs, nothing is
// written.
bool is_dry_run(const http::Request &request) {
  const std::string value = request.query_value("dryRun");
  if (value.empty()) {
    return false;
  }
  if (value != "All") {
    throw bad_request("unsupported dryRun value '" + value + "': the only one is All");
  }
  return true;
}

// DELETE carries dryRun in its DeleteOptions body rather than the query.
bool delete_options_dry_run(const std::string &body) {
  const json options = json::parse(body.empty() ? "{}" : body, nullptr, false);
  if (options.is_discarded() || !options.is_object() || !options.contains("dryRun")) {
    return false;
  }
  const json &modes = options["dryRun"];
  return modes.is_array() && std::find(modes.begin(), modes.end(), "All") != modes.end();
}

// The store's create, or under dry run the same answer without the write.
StoreResult<Revision> create_unless_dry(StateStore &store, const std::string &key,
                                        const std::string &value, bool dry_run) {
  if (!dry_run) {
    return store.create(key, value);
  }
  auto existing = store.get(key);
  if (existing) {
    return store_error(StoreErrc::already_exists, "the key exists", key);
  }
  if (!existing.failed_with(StoreErrc::not_found)) {
    return existing.error();
  }
  return store.current_revision();
}

// The store's update (or delete, when value is null), or under dry run the
// same checks without the write.
StoreResult<Revision> change_unless_dry(StateStore &store, const std::string &key,
                                        const std::string *value, Revision expected, bool dry_run) {
  if (dry_run) {
    auto existing = store.get(key);
    if (!existing) {
      return existing.error();
    }
    if (existing->mod_revision != expected) {
      return store_error(StoreErrc::conflict, "the key changed", key);
    }
    return expected;
  }
  if (value != nullptr) {
    return store.update(key, *value, expected);
  }
  auto removed = store.remove(key, expected);
  if (!removed) {
    return removed.error();
  }
  return removed->revision;
}

bool protected_namespace(const ObjectRef &ref) {
  return ref.resource->name == "namespaces" &&
         (ref.name == "default" || ref.name == "kube-system" || ref.name == "kube-public");
}

void check_preconditions(const ObjectRef &ref, const json &existing, const std::string &body) {
  const json options = json::parse(body.empty() ? "{}" : body, nullptr, false);
  if (options.is_discarded() || !options.is_object() || !options.contains("preconditions")) {
    return;
  }
  const json &want = options["preconditions"];
  for (const char *field : {"uid", "resourceVersion"}) {
    if (want.contains(field) && !want[field].is_null() &&
        want[field] != existing["metadata"].value(field, json())) {
      throw conflict(ref.resource->name, ref.name);
    }
  }
}

} // namespace

json RestHandlers::insert(const ObjectRef &ref, json object, bool dry_run) {
  json &metadata = object["metadata"];
  const std::string generate = metadata.value("generateName", std::string());
  const bool generated = metadata.value("name", std::string()).empty() && !generate.empty();
  metadata.erase("resourceVersion");
  metadata["uid"] = make_uid();
  metadata["creationTimestamp"] = format_timestamp(std::chrono::system_clock::now());
  for (int attempt = 0;; ++attempt) {
    if (generated) {
      metadata["name"] = generate + random_name_suffix();
    }
    validate(*ref.resource, object);
    ObjectRef named = ref;
    named.name = name_of(object);
    auto revision = create_unless_dry(store_, object_key(named), object.dump(), dry_run);
    if (revision) {
      object["metadata"]["resourceVersion"] = std::to_string(*revision);
      return object;
    }
    if (!generated || !revision.failed_with(StoreErrc::already_exists) || attempt >= 7) {
      throw from_store(revision.error(), ref.resource->name, named.name);
    }
  }
}

http::Response RestHandlers::create(const ObjectRef &ref, const http::Request &request) {
  json object = parse_body(request);
  check_identity(ref, object);
  const auto unknown = apply_field_validation(*ref.resource, object, request);
  require_namespace(store_, ref);
  http::Response response = json_response(insert(ref, std::move(object), is_dry_run(request)), 201);
  add_warnings(response, unknown);
  return response;
}

http::Response RestHandlers::update(const ObjectRef &ref, const http::Request &request) {
  json object = parse_body(request);
  check_identity(ref, object);
  const auto unknown = apply_field_validation(*ref.resource, object, request);
  if (name_of(object) != ref.name) {
    throw bad_request("the name of the object (" + name_of(object) +
                      ") does not match the name on the URL (" + ref.name + ")");
  }
  const KeyValue kv = read_existing(store_, ref);
  Revision expected = kv.mod_revision;
  // A PUT with a resourceVersion is a compare-and-swap on it; without one
  // it overwrites, as Kubernetes allows for these kinds.
  if (const std::string given = object["metadata"].value("resourceVersion", std::string());
      !given.empty()) {
    try {
      expected = std::stoll(given);
    } catch (const std::exception &) {
      throw bad_request("invalid metadata.resourceVersion '" + given + "'");
    }
  }
  keep_immutable_fields(decode_object(kv), object);
  object["metadata"].erase("resourceVersion");
  validate(*ref.resource, object);
  const std::string value = object.dump();
  auto revision = change_unless_dry(store_, object_key(ref), &value, expected, is_dry_run(request));
  if (!revision) {
    throw from_store(revision.error(), ref.resource->name, ref.name);
  }
  object["metadata"]["resourceVersion"] = std::to_string(*revision);
  http::Response response = json_response(object);
  add_warnings(response, unknown);
  return response;
}

http::Response RestHandlers::patch(const ObjectRef &ref, const http::Request &request) {
  for (int attempt = 1;; ++attempt) {
    const KeyValue kv = read_existing(store_, ref);
    const json current = decode_object(kv);
    json object = apply_patch(current, request);
    check_identity(ref, object);
    const auto unknown = apply_field_validation(*ref.resource, object, request);
    if (name_of(object) != ref.name) {
      throw bad_request("a patch cannot change metadata.name");
    }
    // A patch that names a resourceVersion is a precondition on it.
    if (object["metadata"].value("resourceVersion", std::string()) !=
        current["metadata"]["resourceVersion"].get<std::string>()) {
      throw conflict(ref.resource->name, ref.name);
    }
    keep_immutable_fields(current, object);
    object["metadata"].erase("resourceVersion");
    validate(*ref.resource, object);
    const std::string value = object.dump();
    auto revision =
        change_unless_dry(store_, object_key(ref), &value, kv.mod_revision, is_dry_run(request));
    if (revision) {
      object["metadata"]["resourceVersion"] = std::to_string(*revision);
      http::Response response = json_response(object);
      add_warnings(response, unknown);
      return response;
    }
    if (!revision.failed_with(StoreErrc::conflict) || attempt >= kPatchAttempts) {
      throw from_store(revision.error(), ref.resource->name, ref.name);
    }
  }
}

http::Response RestHandlers::remove(const ObjectRef &ref, const http::Request &request) {
  if (protected_namespace(ref)) {
    throw ApiError{403,
                   "Forbidden",
                   "namespaces \"" + ref.name +
                       "\" is forbidden: this namespace may not be "
                       "deleted",
                   ref.name,
                   "namespaces",
                   {}};
  }
  const KeyValue kv = read_existing(store_, ref);
  const json existing = decode_object(kv);
  check_preconditions(ref, existing, request.body);
  const bool dry_run = is_dry_run(request) || delete_options_dry_run(request.body);
  if (auto removed = change_unless_dry(store_, object_key(ref), nullptr, kv.mod_revision, dry_run);
      !removed) {
    throw from_store(removed.error(), ref.resource->name, ref.name);
  }
  if (ref.resource->name == "namespaces" && !dry_run) {
    delete_namespace_contents(ref.name);
  }
  return json_response(existing);
}

void RestHandlers::delete_namespace_contents(const std::string &namespace_name) {
  for (const ResourceInfo &resource : core_resources()) {
    if (!resource.namespaced) {
      continue;
    }
    auto page = store_.list(collection_range(ObjectRef{&resource, namespace_name, ""}));
    if (!page) {
      continue;
    }
    for (const KeyValue &kv : page->items) {
      (void)store_.remove(kv.key);
    }
  }
}

void RestHandlers::ensure_namespace(const std::string &name) {
  const ObjectRef ref{find_resource("namespaces"), "", name};
  if (store_.get(object_key(ref))) {
    return;
  }
  json object{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  try {
    (void)insert(ref, std::move(object));
  } catch (const ApiError &error) {
    if (error.code != 409) {
      throw std::runtime_error("cannot create namespace " + name + ": " + error.message);
    }
  }
}

} // namespace berth::cluster::api
