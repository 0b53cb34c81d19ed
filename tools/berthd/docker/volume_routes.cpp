// Volumes: create, list, inspect, remove and prune.
#include "docker/api_context.hpp"
#include "docker/list_filters.hpp"

#include "util/text.hpp"

namespace berth::berthd {
namespace {

using nlohmann::json;

json volume_json(const VolumeRecord &volume) {
  return {{"Name", volume.name},
          {"Driver", "local"},
          {"Mountpoint", volume.mountpoint.string()},
          {"CreatedAt", volume.created},
          {"Labels", volume.labels},
          {"Scope", "local"},
          {"Options", json::object()}};
}

http::Response create(ApiContext &context, http::Request &request) {
  const auto body = request_json(request);
  if (!body.is_object()) {
    return docker_error(400, R"(body: expected a JSON object such as {"Name":"data"})");
  }
  const auto driver = body.value("Driver", json("")).is_string() ? body.value("Driver", "") : "";
  if (!driver.empty() && driver != "local") {
    return docker_error(400, "Driver: '" + driver + "' is not supported; berth has local only");
  }
  auto name = body.value("Name", json("")).is_string() ? body.value("Name", "") : "";
  if (name.empty()) {
    name = random_hex_id(); // as Docker names an unnamed volume
  }
  const auto labels = body.value("Labels", json::object());
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    // Docker answers an existing name with that volume, not a conflict.
    if (auto existing = containers.inspect_volume(name); existing.ok()) {
      return json_response(volume_json(*existing), 201);
    }
    auto made = containers.create_volume(name, string_map(labels));
    return made.ok() ? json_response(volume_json(*made), 201) : docker_error(made.error());
  });
}

http::Response list(ApiContext &context, http::Request &request) {
  auto filters = ListFilters::parse(request.query_value("filters"));
  if (!filters.ok()) {
    return docker_error(filters.error());
  }
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto listed = containers.list_volumes();
    if (!listed.ok()) {
      return docker_error(listed.error());
    }
    auto volumes = json::array();
    const auto &names = filters->values("name");
    for (const auto &volume : *listed) {
      const bool named = names.empty() || std::any_of(names.begin(), names.end(), [&](auto &n) {
                           return volume.name.find(n) != std::string::npos;
                         });
      if (named && filters->match_labels(volume.labels)) {
        volumes.push_back(volume_json(volume));
      }
    }
    return json_response({{"Volumes", volumes}, {"Warnings", json::array()}});
  });
}

http::Response inspect(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto volume = containers.inspect_volume(request.param("name"));
    if (!volume.ok()) {
      return volume.error().code == sdk::Errc::not_found
                 ? docker_error(404, "get " + request.param("name") + ": no such volume")
                 : docker_error(volume.error());
    }
    return json_response(volume_json(*volume));
  });
}

http::Response remove(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto removed = containers.remove_volume(request.param("name"), query_flag(request, "force"));
    return removed.ok() ? empty_response(204) : docker_error(removed.error());
  });
}

http::Response prune(ApiContext &context, http::Request &) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto pruned = containers.prune_volumes(false);
    return pruned.ok() ? json_response({{"VolumesDeleted", *pruned}, {"SpaceReclaimed", 0}})
                       : docker_error(pruned.error());
  });
}

} // namespace

void add_volume_routes(http::Router &router, ApiContext &context) {
  add_routes(router, context,
             {
                 {"GET", "/volumes", list},
                 {"POST", "/volumes/create", create},
                 {"POST", "/volumes/prune", prune},
                 {"GET", "/volumes/{name}", inspect},
                 {"DELETE", "/volumes/{name}", remove},
             });
}

} // namespace berth::berthd
