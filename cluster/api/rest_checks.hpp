// The checks every write runs before a kind's own validation (for
// rest_*.cpp only).
#pragma once

#include "cluster/api/rest.hpp"

#include <string>
#include <vector>

namespace berth::cluster::api {

// Removes fields the kind does not have and returns their paths.
std::vector<std::string> drop_unknown_fields(const ResourceInfo &resource, nlohmann::json &object);
// Honours ?fieldValidation=: Strict throws 400 naming the unknown fields,
// Warn (the default) returns them for Warning headers, Ignore drops them.
std::vector<std::string> apply_field_validation(const ResourceInfo &resource,
                                                nlohmann::json &object,
                                                const http::Request &request);
// kind/apiVersion match the URL's resource, metadata.namespace matches the
// URL's namespace (and is filled in from it).
void check_identity(const ObjectRef &ref, nlohmann::json &object);
// metadata.name present and well-formed, labels and annotations strings.
std::vector<StatusCause> check_metadata(const ResourceInfo &resource, const nlohmann::json &object);

} // namespace berth::cluster::api
