#include "cluster/api/status.hpp"

namespace berth::cluster::api {

nlohmann::json ApiError::to_json() const {
  nlohmann::json status{
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  if (!name.empty() || !kind.empty() || !causes.empty()) {
    nlohmann::json details = nlohmann::json::object();
    if (!name.empty()) {
      details["name"] = name;
    }
    if (!kind.empty()) {
      details["kind"] = kind;
    }
    for (const StatusCause &cause : causes) {
      details["causes"].push_back(
          {{"reason", cause.reason}, {"message", cause.message}, {"field", cause.field}});
    }
    status["details"] = details;
  }
  return status;
}

http::Response ApiError::to_response() const {
  return json_response(to_json(), static_cast<unsigned>(code));
}

http::Response json_response(const nlohmann::json &body, unsigned status) {
  http::Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump();
  return response;
}

ApiError not_found(const std::string &resource, const std::string &name) {
  return ApiError{404, "NotFound", resource + " \"" + name + "\" not found", name, resource, {}};
}

ApiError already_exists(const std::string &resource, const std::string &name) {
  return ApiError{409,  "AlreadyExists", resource + " \"" + name + "\" already exists",
                  name, resource,        {}};
}

ApiError conflict(const std::string &resource, const std::string &name) {
  return ApiError{409,
                  "Conflict",
                  "Operation cannot be fulfilled on " + resource + " \"" + name +
                      "\": the object has been modified; please apply your changes to the "
                      "latest version and try again",
                  name,
                  resource,
                  {}};
}

ApiError bad_request(const std::string &message) {
  return ApiError{400, "BadRequest", message, {}, {}, {}};
}

ApiError invalid(const std::string &kind, const std::string &name,
                 std::vector<StatusCause> causes) {
  std::string message = kind + " \"" + name + "\" is invalid: ";
  for (std::size_t i = 0; i < causes.size(); ++i) {
    message += (i == 0 ? "" : ", ") + causes[i].field + ": " + causes[i].message;
  }
  return ApiError{422, "Invalid", message, name, kind, std::move(causes)};
}

ApiError gone(const std::string &message) {
  return ApiError{410, "Expired", message, {}, {}, {}};
}

ApiError from_store(const StoreError &error, const std::string &resource, const std::string &name) {
  switch (error.code) {
  case StoreErrc::not_found: return not_found(resource, name);
  case StoreErrc::already_exists: return already_exists(resource, name);
  case StoreErrc::conflict: return conflict(resource, name);
  case StoreErrc::compacted: return gone("too old resource version: " + error.describe());
  case StoreErrc::invalid_argument:
  case StoreErrc::future_revision: return bad_request(error.describe());
  case StoreErrc::unavailable:
  case StoreErrc::closed:
    return ApiError{
        503, "ServiceUnavailable", "the state store is unavailable: " + error.describe(), {}, {},
        {}};
  case StoreErrc::internal: break;
  }
  return ApiError{500, "InternalError", error.describe(), {}, {}, {}};
}

} // namespace berth::cluster::api
