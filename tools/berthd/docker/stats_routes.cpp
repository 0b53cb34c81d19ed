// A running container's processes (top) and resource use (stats), in
// Docker's shapes.
#include "docker/api_context.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace berth::berthd {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

http::Response top(ApiContext &context, http::Request &request) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &) {
    auto table = containers.top(request.param("id"));
    if (!table.ok()) {
      return table.error().code == sdk::Errc::invalid_argument
                 ? docker_error(409, table.error().describe())
                 : docker_error(table.error());
    }
    return json_response({{"Titles", table->titles}, {"Processes", table->rows}});
  });
}

// The host's CPU time in nanoseconds (every CPU, every state), which
// Docker's clients divide a container's CPU time by: /proc/stat's first line.
std::uint64_t system_cpu_ns() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  std::uint64_t ticks = 0;
  std::uint64_t value = 0;
  for (int field = 0; field < 8 && in >> value; ++field) {
    ticks += value;
  }
  const auto per_second = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  return ticks * (1000000000ULL / (per_second == 0 ? 100 : per_second));
}

json cpu_json(const sdk::ContainerStats &stats, std::uint64_t system) {
  return {{"cpu_usage", {{"total_usage", stats.cpu_usage_ns}}},
          {"system_cpu_usage", system},
          {"online_cpus", Engine::host_facts().cpus}};
}

json stats_json(const std::string &name, const std::string &id, const sdk::ContainerStats &now,
                std::uint64_t system, const json &previous) {
  const auto limit =
      now.memory_limit_bytes != 0 ? now.memory_limit_bytes : Engine::host_facts().memory_bytes;
  return {
      {"read", rfc3339_now()},
      {"name", "/" + name},
      {"id", id},
      {"pids_stats", {{"current", now.pids}, {"limit", now.pids_limit}}},
      {"cpu_stats", cpu_json(now, system)},
      {"precpu_stats", previous},
      {"memory_stats", {{"usage", now.memory_bytes}, {"limit", limit}, {"stats", json::object()}}},
      {"blkio_stats", json::object()},
      {"networks", json::object()}};
}

// One sample per second while streaming; otherwise one answer whose
// precpu_stats come from a first sample half a second earlier (none with
// one-shot), so that docker stats --no-stream can show CPU %.
void stream_stats(ContainerService &containers, const ContainerView &view, bool stream,
                  bool one_shot, http::ChunkWriter &writer) {
  json previous = {{"cpu_usage", {{"total_usage", 0}}}, {"system_cpu_usage", 0}};
  if (!stream && !one_shot) {
    if (auto first = containers.stats(view.record.id); first.ok()) {
      previous = cpu_json(*first, system_cpu_ns());
    }
    std::this_thread::sleep_for(500ms);
  }
  do {
    auto sample = containers.stats(view.record.id);
    if (!sample.ok()) {
      return;
    }
    const auto system = system_cpu_ns();
    if (!writer.write(
            stats_json(view.record.name, view.record.id, *sample, system, previous).dump() +
            "\n")) {
      return;
    }
    previous = cpu_json(*sample, system);
  } while (stream && [&] {
    std::this_thread::sleep_for(1s);
    return !writer.stopping();
  }());
}

http::Response stats(ApiContext &context, http::Request &request) {
  const bool stream = request.query_value("stream").empty() || query_flag(request, "stream");
  const bool one_shot = query_flag(request, "one-shot");
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &lease) {
    auto view = containers.view(request.param("id"));
    if (!view.ok()) {
      return docker_error(view.error());
    }
    if (!view->running()) {
      return docker_error(409, "Container " + view->record.id + " is not running");
    }
    http::Response response;
    response.stream = [held = std::make_shared<EnginePool::Lease>(std::move(lease)), &containers,
                       view = std::move(view).value(), stream,
                       one_shot](http::ChunkWriter &writer) {
      stream_stats(containers, view, stream, one_shot, writer);
    };
    return response;
  });
}

} // namespace

void add_stats_routes(http::Router &router, ApiContext &context) {
  add_routes(router, context,
             {
                 {"GET", "/containers/{id}/top", top},
                 {"GET", "/containers/{id}/stats", stats},
             });
}

} // namespace berth::berthd
