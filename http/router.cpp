#include "http/router.hpp"

namespace berth::http {

std::vector<std::string> split_path(const std::string &path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    if (end > start) {
      segments.push_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  return segments;
}

void Router::add(std::string method, const std::string &pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
}

bool Router::match(const Route &route, const std::vector<std::string> &segments,
                   std::map<std::string, std::string> &params) {
  if (route.segments.size() != segments.size()) {
    return false;
  }
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string &want = route.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      found[want.substr(1, want.size() - 2)] = segments[i];
    } else if (want != segments[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

Response Router::route(Request &request) const {
  const auto segments = split_path(request.path);
  bool path_matched = false;
  for (const Route &route : routes_) {
    std::map<std::string, std::string> params;
    if (!match(route, segments, params)) {
      continue;
    }
    path_matched = true;
    if (route.method == request.method) {
      request.params = std::move(params);
      return route.handler(request);
    }
  }
  Response response;
  response.status = path_matched ? 405 : 404;
  response.content_type = "text/plain";
  response.body = path_matched ? "method not allowed\n" : "not found\n";
  return response;
}

} // namespace berth::http
