// Maps a method and a path to a handler. Patterns are literal segments and
// {name} placeholders ("/api/v1/namespaces/{namespace}"); a placeholder
// matches one non-empty segment and lands in Request::params. Routes are tried
// in the order they were added, so add the specific ones first.
#pragma once

#include "http/message.hpp"

#include <string>
#include <vector>

namespace berth::http {

class Router {
public:
  void add(std::string method, const std::string &pattern, Handler handler);
  // The matching handler's response; 404 when no pattern matches the path,
  // 405 when one does but not for this method.
  Response route(Request &request) const;

private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool match(const Route &route, const std::vector<std::string> &segments,
                    std::map<std::string, std::string> &params);

  std::vector<Route> routes_;
};

// "/a/b/" -> {"a", "b"}.
std::vector<std::string> split_path(const std::string &path);

} // namespace berth::http
