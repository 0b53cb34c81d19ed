// /_ping, /version and /info: what clients ask first.
#include "docker/api_context.hpp"

#include <unistd.h>

#include <array>

namespace berth::berthd {
namespace {

using nlohmann::json;

http::Response ping(http::Request &) {
  http::Response response;
  response.content_type = "text/plain; charset=utf-8";
  response.headers = {{"API-Version", kApiVersion},
                      {"Docker-Experimental", "false"},
                      {"Ostype", "linux"},
                      {"Builder-Version", "1"},
                      {"Cache-Control", "no-cache, no-store, must-revalidate"},
                      {"Pragma", "no-cache"}};
  response.body = "OK";
  return response;
}

std::string go_arch(const std::string &machine) {
  if (machine == "x86_64") {
    return "amd64";
  }
  return machine == "aarch64" ? "arm64" : machine;
}

http::Response version(const ApiContext &context) {
  const auto host = Engine::host_facts();
  const json details{{"ApiVersion", kApiVersion},          {"MinAPIVersion", kMinApiVersion},
                     {"Arch", go_arch(host.architecture)}, {"Os", "linux"},
                     {"KernelVersion", host.kernel},       {"PluginAbi", Engine::plugin_abi()}};
  json body = details;
  body["Platform"] = {{"Name", "berth"}};
  body["Components"] = {
      {{"Name", "Engine"}, {"Version", context.berth_version}, {"Details", details}}};
  body["Version"] = context.berth_version;
  body["GitCommit"] = "";
  body["GoVersion"] = "";
  body["BuildTime"] = "";
  return json_response(body);
}

std::string hostname() {
  std::array<char, 256> name{};
  return ::gethostname(name.data(), name.size() - 1) == 0 ? std::string(name.data()) : "berth";
}

// Containers by state, for /info's counters.
json container_counts(ContainerService &containers) {
  json counts{{"Containers", 0},
              {"ContainersRunning", 0},
              {"ContainersPaused", 0},
              {"ContainersStopped", 0}};
  if (auto views = containers.list(true); views.ok()) {
    counts["Containers"] = views->size();
    for (const auto &view : *views) {
      auto &counter = counts[view.running() ? "ContainersRunning" : "ContainersStopped"];
      counter = counter.get<int>() + 1;
    }
  }
  return counts;
}

http::Response info(ApiContext &context) {
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &lease) {
    const auto host = Engine::host_facts();
    auto &engine = *lease;
    json body = container_counts(containers);
    auto images = engine.images();
    auto listed = images.ok() ? (*images)->list() : images.error();
    body["Images"] = listed.ok() ? listed->size() : 0;
    body["Driver"] = engine.chosen_plugin(PluginKind::storage);
    body["DriverStatus"] = json::array();
    body["Plugins"] = {
        {"Volume", {"local"}}, {"Network", {"bridge", "host", "none"}}, {"Log", {"json-file"}}};
    body["MemoryLimit"] = true;
    body["SwapLimit"] = true;
    body["KernelVersion"] = host.kernel;
    body["OperatingSystem"] = "berth";
    body["OSType"] = "linux";
    body["Architecture"] = host.architecture;
    body["NCPU"] = host.cpus;
    body["MemTotal"] = host.memory_bytes;
    body["Name"] = hostname();
    body["ID"] = hostname();
    body["DockerRootDir"] = engine.root().string();
    body["ServerVersion"] = context.berth_version;
    body["LoggingDriver"] = "json-file";
    body["CgroupDriver"] = "cgroupfs";
    body["CgroupVersion"] = host.cgroup.starts_with("v2") ? "2" : "1";
    body["DefaultRuntime"] = engine.chosen_plugin(PluginKind::runtime);
    body["SecurityOptions"] = host.seccomp ? json{"name=seccomp,profile=default"} : json::array();
    body["Swarm"] = {{"NodeID", ""},
                     {"LocalNodeState", "inactive"},
                     {"ControlAvailable", false},
                     {"Error", ""},
                     {"RemoteManagers", nullptr}};
    body["Labels"] = json::array();
    body["ExperimentalBuild"] = false;
    body["Warnings"] = json::array();
    return json_response(body);
  });
}

} // namespace

void add_system_routes(http::Router &router, ApiContext &context) {
  router.add("GET", "/_ping", ping);
  router.add("HEAD", "/_ping", ping);
  router.add("GET", "/version", [&context](http::Request &) { return version(context); });
  router.add("GET", "/info", [&context](http::Request &) { return info(context); });
}

} // namespace berth::berthd
