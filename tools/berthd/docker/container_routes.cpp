// Containers: create, start, stop, kill, restart, remove, list and inspect.
#include "docker/api_context.hpp"
#include "docker/container_request.hpp"
#include "docker/list_filters.hpp"

#include "util/signal_name.hpp"

#include <algorithm>
#include <csignal>
#include <utility>

namespace berth::berthd {
namespace {

using nlohmann::json;

// docker run reads the exit code from the start error's words: 127 for a
// missing program, 126 for one it may not run (the CLI's runStartContainerErr).
http::Response start_error(const sdk::Error &error) {
  auto message = error.describe();
  if (error.code == sdk::Errc::not_found &&
      message.find("no such file or directory") == std::string::npos &&
      message.find("executable file not found") == std::string::npos) {
    message += ": executable file not found in $PATH";
  } else if (error.code == sdk::Errc::permission &&
             message.find("permission denied") == std::string::npos) {
    message += ": permission denied";
  }
  const bool user_error = error.code == sdk::Errc::not_found || error.code == sdk::Errc::permission;
  return docker_error(user_error ? 400 : 500, message);
}

int seconds_query(const http::Request &request, int fallback) {
  const auto text = request.query_value("t");
  return text.empty() ? fallback : std::atoi(text.c_str());
}

http::Response create(ApiContext &context, http::Request &request) {
  auto config = container_request(request_json(request), request.query_value("name"));
  if (!config.ok()) {
    return docker_error(config.error());
  }
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    const auto image = config->image;
    auto id = containers.create(std::move(config).value());
    if (!id.ok()) {
      return id.error().code == sdk::Errc::not_found &&
                     id.error().message.find("image") != std::string::npos
                 ? docker_error(404, "No such image: " + image)
                 : docker_error(id.error());
    }
    return json_response({{"Id", *id}, {"Warnings", json::array()}}, 201);
  });
}

// Gives the connection of a container just started to the tickets waiting
// for it: its owner is the first attach (else the first wait); other waits
// hear the exit code from the owner, other attaches connect on their own.
void hand_over(ContainerService &containers, const std::string &id, StartTickets tickets,
               sdk::UniqueFd connection) {
  auto owner = std::find_if(tickets.begin(), tickets.end(), [](const auto &ticket) {
    return ticket->kind() == StartTicket::Kind::attach;
  });
  owner = owner == tickets.end() ? tickets.begin() : owner;
  StartTickets listeners;
  for (auto ticket = tickets.begin(); ticket != tickets.end(); ++ticket) {
    if (ticket == owner) {
      continue;
    }
    if ((*ticket)->kind() == StartTicket::Kind::wait) {
      listeners.push_back(*ticket);
      continue;
    }
    auto another = containers.attach(id);
    (*ticket)->fulfil({another.ok() ? std::move(another).value() : sdk::UniqueFd(), {}, {}});
  }
  (*owner)->fulfil({std::move(connection), std::nullopt, std::move(listeners)});
}

http::Response start(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    if (view->running()) {
      return empty_response(304);
    }
    const auto &record = view->record;
    auto tickets = context.starts.take_all(record.id);
    auto started = containers.start(record.id, !tickets.empty(), true);
    if (!started.ok()) {
      tell_exit(tickets, std::nullopt);
      if (record.config.auto_remove) {
        (void)containers.remove(record.id, true, true); // Docker removes what never ran
      }
      return start_error(started.error());
    }
    if (!tickets.empty()) {
      hand_over(containers, record.id, std::move(tickets), std::move(started).value());
    }
    return empty_response(204);
  });
}

http::Response stop(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    if (!view->running()) {
      return empty_response(304);
    }
    auto stopped = containers.stop(view->record.id, seconds_query(request, 10));
    return stopped.ok() ? empty_response(204) : docker_error(stopped.error());
  });
}

http::Response restart(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto restarted = containers.restart(request.param("id"), seconds_query(request, 10));
    return restarted.ok() ? empty_response(204) : docker_error(restarted.error());
  });
}

http::Response kill(ApiContext &context, http::Request &request) {
  const auto name = request.query_value("signal");
  const auto signal = name.empty() ? std::optional<int>(SIGKILL) : parse_signal(name);
  if (!signal) {
    return docker_error(400, "invalid signal '" + name + "': use a name (SIGTERM) or a number");
  }
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    if (!view->running()) {
      return docker_error(409, "Container " + view->record.id + " is not running");
    }
    auto killed = containers.kill(view->record.id, *signal);
    return killed.ok() ? empty_response(204) : docker_error(killed.error());
  });
}

http::Response remove(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    const bool force = query_flag(request, "force");
    if (view->running() && !force) {
      return docker_error(409, "You cannot remove a running container " + view->record.id +
                                   ". Stop the container before attempting removal or force "
                                   "remove");
    }
    auto removed = containers.remove(view->record.id, force, query_flag(request, "v"));
    return removed.ok() ? empty_response(204) : docker_error(removed.error());
  });
}

json ports_json(const ContainerView &view) {
  auto ports = json::array();
  for (const auto &port : view.ports) {
    ports.push_back({{"IP", port.host_ip.empty() ? "0.0.0.0" : port.host_ip},
                     {"PrivatePort", port.container_port},
                     {"PublicPort", port.host_port},
                     {"Type", port.protocol}});
  }
  return ports;
}

json list_entry(const ContainerView &view) {
  const auto &record = view.record;
  std::string command;
  for (const auto &arg : view.args) {
    command += (command.empty() ? "" : " ") + arg;
  }
  const auto network = record.config.network.empty() ? "default" : record.config.network;
  return {{"Id", record.id},
          {"Names", {"/" + record.name}},
          {"Image", record.config.image},
          {"ImageID", record.image_id},
          {"Command", command},
          {"Created", rfc3339_seconds(record.created)},
          {"Ports", ports_json(view)},
          {"Labels", record.config.labels},
          {"State", view.state.status},
          {"Status", view.status_text()},
          {"HostConfig", {{"NetworkMode", network}}},
          {"NetworkSettings", {{"Networks", json::object()}}},
          {"Mounts", json::array()}};
}

http::Response list(ApiContext &context, http::Request &request) {
  auto filters = ListFilters::parse(request.query_value("filters"));
  if (!filters.ok()) {
    return docker_error(filters.error());
  }
  const int limit = std::atoi(request.query_value("limit").c_str());
  const bool all = query_flag(request, "all") || limit > 0;
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto views = containers.list(all);
    if (!views.ok()) {
      return docker_error(views.error());
    }
    auto entries = json::array();
    for (const auto &view : *views) {
      if (filters->match_container(view) && (limit <= 0 || std::cmp_less(entries.size(), limit))) {
        entries.push_back(list_entry(view));
      }
    }
    return json_response(entries);
  });
}

http::Response inspect(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto inspected = containers.inspect(request.param("id"));
    return inspected.ok() ? json_response(*inspected) : docker_error(inspected.error());
  });
}

http::Response prune(ApiContext &context, http::Request &) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto pruned = containers.prune();
    return pruned.ok() ? json_response({{"ContainersDeleted", *pruned}, {"SpaceReclaimed", 0}})
                       : docker_error(pruned.error());
  });
}

} // namespace

void add_container_routes(http::Router &router, ApiContext &context) {
  add_routes(router, context,
             {
                 {"POST", "/containers/create", create},
                 {"GET", "/containers/json", list},
                 {"POST", "/containers/prune", prune},
                 {"GET", "/containers/{id}/json", inspect},
                 {"POST", "/containers/{id}/start", start},
                 {"POST", "/containers/{id}/stop", stop},
                 {"POST", "/containers/{id}/restart", restart},
                 {"POST", "/containers/{id}/kill", kill},
                 {"DELETE", "/containers/{id}", remove},
             });
}

} // namespace berth::berthd
