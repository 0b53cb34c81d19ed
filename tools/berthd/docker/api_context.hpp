// What every Docker API handler shares: the engines, the attaches waiting for
// their container to start, and Docker's response shapes.
#pragma once

#include "docker/engine_pool.hpp"
#include "docker/start_rendezvous.hpp"

#include "http/message.hpp"
#include "http/router.hpp"

#include <berth/sdk/result.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace berth::berthd {

inline constexpr const char *kApiVersion = "1.41";
inline constexpr const char *kMinApiVersion = "1.24";

struct ApiContext {
  EnginePool &engines;
  StartRendezvous &starts;
  std::string berth_version;
};

// 200 (or status) with a JSON body.
http::Response json_response(const nlohmann::json &body, unsigned status = 200);
// A status with no body (204 No Content, 304 Not Modified).
http::Response empty_response(unsigned status);
// Docker's error shape: {"message": "..."} with its status code.
http::Response docker_error(unsigned status, const std::string &message);
// An engine error with the status Docker gives that kind of failure: 404
// not found, 400 bad input, 409 conflict or busy, 500 otherwise.
http::Response docker_error(const sdk::Error &error);

// A query flag as Docker's clients send it: "1", "true", "True"; else false.
bool query_flag(const http::Request &request, const std::string &key);

// Calls body(ContainerService &, EnginePool::Lease &) with a borrowed
// engine's containers; an engine that cannot be had answers Docker's error.
// A streaming body keeps the lease by moving it into its stream.
template <class Body> http::Response with_containers(ApiContext &context, Body body) {
  auto lease = context.engines.borrow();
  if (!lease.ok()) {
    return docker_error(lease.error());
  }
  auto containers = (*lease)->containers();
  if (!containers.ok()) {
    return docker_error(containers.error());
  }
  return body(**containers, *lease);
}

// Adds each area's routes; the paths carry no /vX.Y prefix (DockerApi strips it).
void add_system_routes(http::Router &router, ApiContext &context);
void add_container_routes(http::Router &router, ApiContext &context);
void add_attach_routes(http::Router &router, ApiContext &context);
void add_image_routes(http::Router &router, ApiContext &context);

} // namespace berth::berthd
