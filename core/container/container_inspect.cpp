// What ps, inspect, port, logs and stats show of a container.
#include "container/container_service.hpp"

#include "container/image_defaults.hpp"
#include "container/seccomp_profile.hpp"
#include "util/in_root.hpp"
#include "util/mount_point.hpp"
#include "util/signal_name.hpp"
#include "util/text.hpp"

#include <berth/sdk/mount.hpp>

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace berth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ago(const std::string &rfc3339) {
  const auto seconds =
      std::max<long>(0, static_cast<long>(std::time(nullptr) - rfc3339_seconds(rfc3339)));
  if (seconds < 1) {
    return "Less than a second";
  }
  if (seconds < 60) {
    return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
  }
  if (seconds < 3600) {
    const auto m = seconds / 60;
    return m == 1 ? "About a minute" : std::to_string(m) + " minutes";
  }
  if (seconds < 86400) {
    const auto h = seconds / 3600;
    return h == 1 ? "About an hour" : std::to_string(h) + " hours";
  }
  return std::to_string(seconds / 86400) + " days";
}

json port_bindings(const std::vector<PublishedPort> &ports) {
  json bindings = json::object();
  for (const auto &port : ports) {
    bindings[std::to_string(port.container_port) + "/" + port.protocol].push_back(
        {{"HostIp", port.host_ip},
         {"HostPort", port.host_port == 0 ? "" : std::to_string(port.host_port)}});
  }
  return bindings;
}

} // namespace

std::string ContainerView::created_text() const {
  return ago(record.created) + " ago";
}

std::string ContainerView::ports_text() const {
  std::vector<std::string> items;
  items.reserve(ports.size());
  for (const auto &port : ports) {
    items.push_back((port.host_ip.empty() ? "0.0.0.0" : port.host_ip) + ":" +
                    std::to_string(port.host_port) + "->" + std::to_string(port.container_port) +
                    "/" + port.protocol);
  }
  return join(items, ", ");
}

std::string ContainerView::status_text() const {
  if (state.status == "running") {
    return "Up " + ago(state.started_at);
  }
  if (state.status == "restarting") {
    return "Restarting (" + std::to_string(state.exit_code) + ") " + ago(state.finished_at) +
           " ago";
  }
  if (state.status == "exited" && !state.finished_at.empty()) {
    return "Exited (" + std::to_string(state.exit_code) + ") " + ago(state.finished_at) + " ago";
  }
  return "Created";
}

sdk::Result<std::vector<sdk::PortMapping>> ContainerService::ports(const std::string &reference) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (env_.networks == nullptr || !current->running()) {
    return std::vector<sdk::PortMapping>{};
  }
  return env_.networks->ports(current->record.id);
}

json ContainerService::mounts_json(const ContainerRecord &record, const json &spec) const {
  json mounts = json::array();
  if (!spec.is_object()) {
    return mounts;
  }
  const auto volumes_dir = (env_.root / "volumes").string() + "/";
  for (const auto &m : spec.value("mounts", json::array())) {
    const auto source = m.value("source", std::string{});
    const auto options = m.value("options", std::vector<std::string>{});
    const bool rw = std::find(options.begin(), options.end(), "ro") == options.end();
    const auto destination = m.value("destination", std::string{});
    if (source.starts_with(volumes_dir)) {
      const auto name = source.substr(volumes_dir.size(),
                                      source.find('/', volumes_dir.size()) - volumes_dir.size());
      const auto &anonymous = record.anonymous_volumes;
      mounts.push_back(
          {{"Type", "volume"},
           {"Name", name},
           {"Source", source},
           {"Destination", destination},
           {"RW", rw},
           {"Anonymous", std::find(anonymous.begin(), anonymous.end(), name) != anonymous.end()}});
      continue;
    }
    for (const auto &v : record.config.volumes) {
      if (v.kind == VolumeMount::Kind::bind && v.source == source && v.target == destination) {
        mounts.push_back(
            {{"Type", "bind"}, {"Source", source}, {"Destination", destination}, {"RW", rw}});
      }
    }
  }
  return mounts;
}

sdk::Result<nlohmann::json> ContainerService::inspect(const std::string &reference) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  const auto &r = current->record;
  const auto &s = current->state;
  const auto &c = r.config;
  const auto home = dir(r.id);
  json spec;
  {
    std::ifstream in(home / "config.json");
    spec = json::parse(in, nullptr, false);
  }
  const auto args = spec.is_object() ? spec["process"].value("args", std::vector<std::string>{})
                                     : std::vector<std::string>{};
  const auto mounts = mounts_json(r, spec);
  json ulimits = json::array();
  for (const auto &u : c.ulimits) {
    ulimits.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
  }
  json inspected{
      {"Id", r.id},
      {"Created", r.created},
      {"Path", args.empty() ? "" : args.front()},
      {"Args",
       args.empty() ? json::array() : json(std::vector<std::string>(args.begin() + 1, args.end()))},
      {"State",
       {{"Status", s.status},
        {"Running", s.status == "running"},
        {"Paused", false},
        {"Restarting", s.status == "restarting"},
        {"OOMKilled", s.oom_killed},
        {"Dead", false},
        {"Pid", s.pid},
        {"ExitCode", s.exit_code},
        {"Error", s.error},
        {"StartedAt", s.started_at},
        {"FinishedAt", s.finished_at}}},
      {"Image", r.image_id},
      {"Name", "/" + r.name},
      {"RestartCount", s.restart_count},
      {"Driver", env_.storage_driver},
      {"Platform", "linux"},
      {"LogPath", (home / monitor_files::kLog).string()},
      {"ResolvConfPath", (home / "resolv.conf").string()},
      {"HostnamePath", (home / "hostname").string()},
      {"HostsPath", (home / "hosts").string()},
      {"HostConfig",
       {{"Memory", c.memory},
        {"MemorySwap", c.memory > 0 && c.memory_swap == 0 ? c.memory * 2 : c.memory_swap},
        {"NanoCpus", static_cast<std::int64_t>(c.cpus * 1e9)},
        {"PidsLimit", c.pids_limit},
        {"ReadonlyRootfs", c.read_only},
        {"RestartPolicy", {{"Name", c.restart.name}, {"MaximumRetryCount", c.restart.max_retries}}},
        {"Init", c.init},
        {"Runtime", r.runtime},
        {"CapAdd", c.cap_add},
        {"CapDrop", c.cap_drop},
        {"SecurityOpt", c.seccomp.empty() ? json::array() : json::array({"seccomp=" + c.seccomp})},
        {"Ulimits", ulimits},
        {"NetworkMode", c.network.empty() ? "default" : c.network},
        {"PortBindings", port_bindings(c.ports)},
        {"ExtraHosts", c.extra_hosts},
        {"Dns", c.dns},
        {"AutoRemove", c.auto_remove},
        {"LogConfig", {{"Type", "json-file"}, {"Config", c.log_options}}}}},
      {"Mounts", mounts},
      {"NetworkSettings", env_.networks != nullptr
                              ? env_.networks->settings(r.id)
                              : json{{"Networks", json::object()}, {"Ports", json::object()}}},
      {"Config",
       {{"Hostname", spec.is_object() ? spec.value("hostname", "") : ""},
        {"User", c.user},
        {"Env", spec.is_object() ? spec["process"].value("env", json::array()) : json::array()},
        {"Cmd", c.cmd},
        {"Entrypoint", c.entrypoint ? json(*c.entrypoint) : json()},
        {"Image", c.image},
        {"WorkingDir", spec.is_object() ? spec["process"].value("cwd", "") : ""},
        {"Labels", c.labels},
        {"Tty", c.tty},
        {"OpenStdin", c.interactive}}},
  };
  auto image = images_.inspect(r.image_id);
  add_image_defaults(inspected["Config"], c,
                     image.ok() ? image->value("Config", json::object()) : json::object());
  return inspected;
}

sdk::Result<void> ContainerService::logs(const std::string &reference, const LogRequest &request,
                                         const std::function<void(const LogLine &)> &print) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  const auto home = dir(current->record.id);
  const auto file = home / monitor_files::kLog;
  auto options = log_options(current->record.config.log_options);
  std::uint64_t offset = 0;
  auto lines = read_log_lines(file, options.ok() ? options->max_files : 1, &offset);
  const auto skip = request.tail < 0 || static_cast<std::size_t>(request.tail) >= lines.size()
                        ? 0
                        : lines.size() - static_cast<std::size_t>(request.tail);
  for (std::size_t i = skip; i < lines.size(); ++i) {
    print(lines[i]);
  }
  if (!request.follow) {
    return {};
  }
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  ::inotify_add_watch(watch.get(), home.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO);
  // The monitor's lock tells when nothing more will come; inotify wakes us
  // for new lines, and a slow tick catches the monitor's exit.
  struct stat seen {};
  ::stat(file.c_str(), &seen);
  while (true) {
    const bool alive = monitor_alive(home);
    // Rotated since the last look: finish the old file (now .1) first.
    struct stat now {};
    if (::stat(file.c_str(), &now) == 0 && now.st_ino != seen.st_ino) {
      for (const auto &line : read_new_lines(file.string() + ".1", offset)) {
        print(line);
      }
      offset = 0;
      seen = now;
    }
    for (const auto &line : read_new_lines(file, offset)) {
      print(line);
    }
    if (!alive || (request.cancelled && request.cancelled())) {
      return {};
    }
    pollfd p{watch.get(), POLLIN, 0};
    constexpr int kExitCheckMs = 250;
    if (::poll(&p, 1, kExitCheckMs) > 0) {
      char buffer[4096];
      while (::read(watch.get(), buffer, sizeof buffer) > 0) {
      }
    }
  }
}

sdk::Result<ProcessTable> ContainerService::top(const std::string &reference) {
  auto sampled = stats(reference);
  if (!sampled.ok()) {
    return std::move(sampled).error();
  }
  return process_table(sampled->processes);
}

sdk::Result<sdk::ContainerStats> ContainerService::stats(const std::string &reference) {
  auto current = running_view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  auto backend = backend_for(current->record);
  if (!backend.ok()) {
    return std::move(backend).error();
  }
  return (*backend)->stats(current->record.id);
}

} // namespace berth
