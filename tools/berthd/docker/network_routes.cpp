// Networks: create, list, inspect, connect, disconnect, remove and prune.
#include "docker/api_context.hpp"
#include "docker/list_filters.hpp"

namespace berth::berthd {
namespace {

using nlohmann::json;

template <class Body> http::Response with_networks(ApiContext &context, Body body) {
  return with_service(
      context, &Engine::networks,
      [&](NetworkService &networks, EnginePool::Lease &) { return body(networks); });
}

// Docker's 404 for a network: docker-compose looks networks up by name
// before it creates them and wants exactly this.
http::Response network_error(const sdk::Error &error, const std::string &name) {
  return error.code == sdk::Errc::not_found ? docker_error(404, "network " + name + " not found")
                                            : docker_error(error);
}

// berth's inspect as Docker's NetworkResource: options are strings there
// (the Go client refuses a bool or a number).
json network_json(json inspected) {
  for (const auto &[key, value] : string_map(inspected.value("Options", json::object()))) {
    inspected["Options"][key] = value;
  }
  inspected["EnableIPv6"] = false;
  inspected["Attachable"] = true;
  inspected["Ingress"] = false;
  return inspected;
}

sdk::Result<NetworkCreateRequest> create_request(const json &body) {
  if (!body.is_object() || !body.value("Name", json()).is_string()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "Name: is required: name the network to create");
  }
  NetworkCreateRequest request;
  request.name = body["Name"].get<std::string>();
  request.driver = body.value("Driver", json("")).is_string() ? body.value("Driver", "") : "";
  request.internal = body.value("Internal", json(false)) == json(true);
  if (body.value("EnableIPv6", json(false)) == json(true)) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "EnableIPv6: berth's networks are IPv4 only; leave it unset");
  }
  request.options = string_map(body.value("Options", json::object()));
  request.labels = string_map(body.value("Labels", json::object()));
  const auto ipam = body.value("IPAM", json::object());
  const auto configs = ipam.is_object() ? ipam.value("Config", json::array()) : json::array();
  if (configs.is_array() && !configs.empty() && configs[0].is_object()) {
    request.subnet = configs[0].value("Subnet", "");
    request.gateway = configs[0].value("Gateway", "");
  }
  return request;
}

http::Response create(ApiContext &context, http::Request &request) {
  auto made = create_request(request_json(request));
  if (!made.ok()) {
    return docker_error(made.error());
  }
  if (made->driver == "bridge") {
    made->driver.clear(); // Docker's default driver: the stack's default network's
  }
  return with_networks(context, [&](NetworkService &networks) {
    if (networks.find(made->name).ok()) {
      return docker_error(409, "network with name " + made->name + " already exists");
    }
    auto created = networks.create(*made);
    return created.ok() ? json_response({{"Id", created->network.id}, {"Warning", ""}}, 201)
                        : docker_error(created.error());
  });
}

http::Response list(ApiContext &context, http::Request &request) {
  auto filters = ListFilters::parse(request.query_value("filters"));
  if (!filters.ok()) {
    return docker_error(filters.error());
  }
  return with_networks(context, [&](NetworkService &networks) {
    auto listed = networks.list();
    if (!listed.ok()) {
      return docker_error(listed.error());
    }
    auto entries = json::array();
    for (const auto &record : *listed) {
      const auto &names = filters->values("name");
      const auto &ids = filters->values("id");
      const bool named = names.empty() || std::any_of(names.begin(), names.end(), [&](auto &n) {
                           return record.network.name.find(n) != std::string::npos;
                         });
      const bool ided = ids.empty() || std::any_of(ids.begin(), ids.end(), [&](auto &id) {
                          return record.network.id.starts_with(id);
                        });
      if (named && ided && filters->match_labels(record.labels)) {
        if (auto inspected = networks.inspect(record.network.id); inspected.ok()) {
          entries.push_back(network_json(std::move(inspected).value()));
        }
      }
    }
    return json_response(entries);
  });
}

http::Response inspect(ApiContext &context, http::Request &request) {
  return with_networks(context, [&](NetworkService &networks) {
    auto inspected = networks.inspect(request.param("id"));
    return inspected.ok() ? json_response(network_json(std::move(inspected).value()))
                          : network_error(inspected.error(), request.param("id"));
  });
}

http::Response remove(ApiContext &context, http::Request &request) {
  return with_networks(context, [&](NetworkService &networks) {
    auto removed = networks.remove(request.param("id"));
    return removed.ok() ? empty_response(204) : network_error(removed.error(), request.param("id"));
  });
}

http::Response prune(ApiContext &context, http::Request &) {
  return with_networks(context, [&](NetworkService &networks) {
    auto pruned = networks.prune();
    return pruned.ok() ? json_response({{"NetworksDeleted", *pruned}})
                       : docker_error(pruned.error());
  });
}

http::Response connect(ApiContext &context, http::Request &request) {
  const auto body = request_json(request);
  const auto container = body.is_object() ? body.value("Container", "") : "";
  if (container.empty()) {
    return docker_error(400, "Container: is required: name the container to connect");
  }
  const auto endpoint = body.value("EndpointConfig", json::object());
  const auto aliases = endpoint.is_object() && endpoint.value("Aliases", json()).is_array()
                           ? endpoint["Aliases"].get<std::vector<std::string>>()
                           : std::vector<std::string>{};
  const auto ipam = endpoint.is_object() ? endpoint.value("IPAMConfig", json::object()) : json();
  const auto ip = ipam.is_object() ? ipam.value("IPv4Address", "") : "";
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto connected = containers.connect_network(request.param("id"), container, aliases, ip);
    return connected.ok() ? empty_response(200) : docker_error(connected.error());
  });
}

http::Response disconnect(ApiContext &context, http::Request &request) {
  const auto body = request_json(request);
  const auto container = body.is_object() ? body.value("Container", "") : "";
  if (container.empty()) {
    return docker_error(400, "Container: is required: name the container to disconnect");
  }
  const bool force = body.value("Force", json(false)) == json(true);
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto left = containers.disconnect_network(request.param("id"), container, force);
    return left.ok() ? empty_response(200) : docker_error(left.error());
  });
}

} // namespace

void add_network_routes(http::Router &router, ApiContext &context) {
  add_routes(router, context,
             {
                 {"GET", "/networks", list},
                 {"POST", "/networks/create", create},
                 {"POST", "/networks/prune", prune},
                 {"GET", "/networks/{id}", inspect},
                 {"DELETE", "/networks/{id}", remove},
                 {"POST", "/networks/{id}/connect", connect},
                 {"POST", "/networks/{id}/disconnect", disconnect},
             });
}

} // namespace berth::berthd
