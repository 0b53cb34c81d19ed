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

bool query_flag(const http::Request &request, const std::string &key) {
  const auto value = request.query_value(key);
  return value == "1" || value == "true" || value == "True";
}

} // namespace berth::berthd
