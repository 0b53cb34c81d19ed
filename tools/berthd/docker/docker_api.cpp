#include "docker/docker_api.hpp"

#include <cctype>

namespace berth::berthd {

std::string strip_version(const std::string &path) {
  if (!path.starts_with("/v") || path.size() < 3 || std::isdigit(path[2]) == 0) {
    return path;
  }
  const auto slash = path.find('/', 2);
  const auto version = path.substr(2, slash == std::string::npos ? std::string::npos : slash - 2);
  if (version.find_first_not_of("0123456789.") != std::string::npos) {
    return path;
  }
  return slash == std::string::npos ? "/" : path.substr(slash);
}

DockerApi::DockerApi(EnginePool &engines, std::string berth_version,
                     std::vector<std::string> berth_command)
    : context_{engines, starts_, std::make_shared<ExecStore>(), std::move(berth_version),
               std::move(berth_command)} {
  add_system_routes(router_, context_);
  add_container_routes(router_, context_);
  add_attach_routes(router_, context_);
  add_image_routes(router_, context_);
  add_network_routes(router_, context_);
  add_volume_routes(router_, context_);
  add_stats_routes(router_, context_);
  add_archive_routes(router_, context_);
  add_exec_routes(router_, context_);
}

http::Response DockerApi::handle(http::Request &request) {
  request.path = strip_version(request.path);
  auto response = router_.route(request);
  // The router's own 404 and 405 are plain text; Docker's clients want JSON.
  if ((response.status == 404 || response.status == 405) &&
      response.content_type != "application/json") {
    return docker_error(response.status, "page not found: " + request.method + " " + request.path);
  }
  return response;
}

} // namespace berth::berthd
