#include "docker/api_context.hpp"

namespace berth::berthd {

http::Response json_response(const nlohmann::json &body, unsigned status) {
  http::Response response;
  response.status = status;
  response.body = body.dump() + "\n";
  return response;
}

http::Response empty_response(unsigned status) {
  http::Response response;
  response.status = status;
  response.content_type = "text/plain";
  return response;
}

http::Response docker_error(unsigned status, const std::string &message) {
  return json_response({{"message", message}}, status);
}

http::Response docker_error(const sdk::Error &error) {
  const unsigned status = [&] {
    switch (error.code) {
    case sdk::Errc::not_found: return 404U;
    case sdk::Errc::invalid_argument: return 400U;
    case sdk::Errc::already_exists:
    case sdk::Errc::busy: return 409U;
    default: return 500U;
    }
  }();
  return docker_error(status, error.describe());
}

void add_routes(http::Router &router, ApiContext &context, const std::vector<RouteEntry> &routes) {
  for (const auto &route : routes) {
    router.add(route.method, route.pattern,
               [&context, handle = route.handle](http::Request &request) {
                 return handle(context, request);
               });
  }
}

std::map<std::string, std::string> string_map(const nlohmann::json &object) {
  std::map<std::string, std::string> map;
  if (object.is_object()) {
    for (const auto &[key, value] : object.items()) {
      map[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  return map;
}

std::vector<std::string> string_list(const nlohmann::json &object, const char *key) {
  const auto found = object.find(key);
  return found == object.end() || found->is_null() ? std::vector<std::string>{}
                                                   : found->get<std::vector<std::string>>();
}

nlohmann::json request_json(const http::Request &request) {
  return nlohmann::json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
}

bool query_flag(const http::Request &request, const std::string &key) {
  const auto value = request.query_value(key);
  return value == "1" || value == "true" || value == "True";
}

} // namespace berth::berthd
