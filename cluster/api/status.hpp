// Kubernetes `Status` replies: what every failed API call returns, with the
// reason and code clients branch on (kubectl prints `Error from server
// (NotFound): ...` from them), and the store's errors mapped onto them.
#pragma once

#include "cluster/store/store_result.hpp"
#include "http/message.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::cluster::api {

struct StatusCause {
  std::string field;   // "metadata.name"
  std::string reason;  // "FieldValueInvalid", "FieldValueRequired"
  std::string message; // what is wrong with it
};

struct ApiError {
  int code = 500;
  std::string reason; // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, Gone, ...
  std::string message;
  // details: the object's name and kind ("configmaps"), and causes for 422.
  std::string name;
  std::string kind;
  std::vector<StatusCause> causes;

  [[nodiscard]] nlohmann::json to_json() const;
  [[nodiscard]] http::Response to_response() const;
};

// `resource "name" not found` and its family, worded as kube-apiserver does.
ApiError not_found(const std::string &resource, const std::string &name);
ApiError already_exists(const std::string &resource, const std::string &name);
ApiError conflict(const std::string &resource, const std::string &name);
ApiError bad_request(const std::string &message);
ApiError invalid(const std::string &kind, const std::string &name, std::vector<StatusCause> causes);
ApiError gone(const std::string &message);
// A store failure on resource/name: not_found -> 404, conflict -> 409, ...
ApiError from_store(const StoreError &error, const std::string &resource, const std::string &name);

http::Response json_response(const nlohmann::json &body, unsigned status = 200);

} // namespace berth::cluster::api
