// What every Docker API handler shares: the engines, the attaches waiting for
// their container to start, and Docker's response shapes.
#pragma once

#include "docker/engine_pool.hpp"
#include "docker/exec_store.hpp"
#include "docker/start_rendezvous.hpp"

#include "http/message.hpp"
#include "http/router.hpp"

#include <berth/sdk/result.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace berth::berthd {

inline constexpr const char *kApiVersion = "1.41";
inline constexpr const char *kMinApiVersion = "1.24";

struct ApiContext {
  EnginePool &engines;
  StartRendezvous &starts;
  // Shared with the threads that reap detached execs, which may outlive a
  // stopping daemon's API.
  std::shared_ptr<ExecStore> execs;
  std::string berth_version;
  // `berth --root ROOT [--stack FILE]`: the CLI on this daemon's root, which
  // runs each exec in a process of its own.
  std::vector<std::string> berth_command;
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

// Calls body(Service &, EnginePool::Lease &) with a service of a borrowed
// engine (get: &Engine::containers, &Engine::images, &Engine::networks); an
// engine or service that cannot be had answers Docker's error. A streaming
// body keeps the lease by moving it into its stream.
template <class Service, class Body>
http::Response with_service(ApiContext &context, sdk::Result<Service *> (Engine::*get)(),
                            Body body) {
  auto lease = context.engines.borrow();
  if (!lease.ok()) {
    return docker_error(lease.error());
  }
  auto service = ((**lease).*get)();
  if (!service.ok()) {
    return docker_error(service.error());
  }
  return body(**service, *lease);
}

template <class Body> http::Response with_containers(ApiContext &context, Body body) {
  return with_service(context, &Engine::containers, std::move(body));
}

// One route of an area: method, pattern and handler.
struct RouteEntry {
  const char *method;
  const char *pattern;
  http::Response (*handle)(ApiContext &, http::Request &);
};
void add_routes(http::Router &router, ApiContext &context, const std::vector<RouteEntry> &routes);

// Adds each area's routes; the paths carry no /vX.Y prefix (DockerApi strips it).
void add_system_routes(http::Router &router, ApiContext &context);
void add_container_routes(http::Router &router, ApiContext &context);
void add_attach_routes(http::Router &router, ApiContext &context);
void add_image_routes(http::Router &router, ApiContext &context);
void add_network_routes(http::Router &router, ApiContext &context);
void add_volume_routes(http::Router &router, ApiContext &context);
void add_stats_routes(http::Router &router, ApiContext &context);
void add_archive_routes(http::Router &router, ApiContext &context);
void add_exec_routes(http::Router &router, ApiContext &context);

// {"k": "v"} as a map; values that are not strings as their JSON; null or
// anything but an object as an empty map (Go clients send null).
std::map<std::string, std::string> string_map(const nlohmann::json &object);

// A list of strings, or empty when absent or null; throws json::type_error
// for anything else.
std::vector<std::string> string_list(const nlohmann::json &object, const char *key);

// The JSON body of a request; a malformed one is discarded (is_discarded()).
nlohmann::json request_json(const http::Request &request);

} // namespace berth::berthd
