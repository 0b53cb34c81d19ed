// The Docker Engine API (1.41) over the engine facade: routes every request,
// with or without its /vX.Y prefix, to the handlers of its area.
#pragma once

#include "docker/api_context.hpp"

#include "http/message.hpp"
#include "http/router.hpp"

#include <string>
#include <vector>

namespace berth::berthd {

class DockerApi {
public:
  // berth_command: `berth --root ROOT [--stack FILE]` (see ApiContext).
  DockerApi(EnginePool &engines, std::string berth_version, std::vector<std::string> berth_command);
  DockerApi(const DockerApi &) = delete;
  DockerApi &operator=(const DockerApi &) = delete;
  DockerApi(DockerApi &&) = delete;
  DockerApi &operator=(DockerApi &&) = delete;
  ~DockerApi() = default;

  http::Response handle(http::Request &request);

private:
  StartRendezvous starts_;
  ApiContext context_;
  http::Router router_;
};

// "/v1.41/containers/json" -> "/containers/json"; other paths unchanged.
std::string strip_version(const std::string &path);

} // namespace berth::berthd
