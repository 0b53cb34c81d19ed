#include "docker/container_request.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace berth::berthd {
namespace {

using nlohmann::json;

sdk::Error bad_field(const std::string &field, const std::string &why) {
  return sdk::Error{sdk::Errc::invalid_argument, field + ": " + why, ""};
}

// The HostConfig fields berth does not do; each is refused when set to
// anything but its zero value, so that nothing asked for is silently lost.
constexpr std::array kUnsupportedHostFields = {"Privileged",
                                               "Devices",
                                               "DeviceRequests",
                                               "DeviceCgroupRules",
                                               "CpusetCpus",
                                               "CpusetMems",
                                               "CpuRealtimeRuntime",
                                               "BlkioWeight",
                                               "BlkioWeightDevice",
                                               "BlkioDeviceReadBps",
                                               "BlkioDeviceWriteBps",
                                               "BlkioDeviceReadIOps",
                                               "BlkioDeviceWriteIOps",
                                               "Links",
                                               "VolumesFrom",
                                               "GroupAdd",
                                               "Sysctls",
                                               "OomKillDisable",
                                               "KernelMemory",
                                               "KernelMemoryTCP",
                                               "MemoryReservation",
                                               "Isolation",
                                               "UsernsMode",
                                               "PidMode",
                                               "UTSMode",
                                               "IpcMode",
                                               "CgroupParent",
                                               "VolumeDriver",
                                               "OomScoreAdj"};

bool is_zero(const json &value) {
  return value.is_null() || (value.is_boolean() && !value.get<bool>()) ||
         (value.is_number() && value.get<double>() == 0) ||
         (value.is_string() && value.get<std::string>().empty()) ||
         ((value.is_array() || value.is_object()) && value.empty());
}

sdk::Result<void> refuse_unsupported(const json &host) {
  for (const char *field : kUnsupportedHostFields) {
    const auto found = host.find(field);
    if (found == host.end() || is_zero(*found)) {
      continue;
    }
    // Docker's own defaults for the namespace modes mean what berth does.
    if (found->is_string() &&
        (found->get<std::string>() == "private" || found->get<std::string>() == "shareable")) {
      continue;
    }
    return bad_field(std::string("HostConfig.") + field,
                     "berth does not support it; leave it unset");
  }
  return {};
}

// A member, or fallback when it is absent or null (Go's clients send null
// for empty lists). A member of another type throws json::type_error,
// which container_request turns into a 400 naming it.
template <class T> T opt(const json &object, const char *name, T fallback) {
  const auto found = object.find(name);
  if (found == object.end() || found->is_null()) {
    return fallback;
  }
  try {
    return found->get<T>();
  } catch (const json::type_error &) {
    throw std::invalid_argument(std::string(name) + " has the wrong type; see Docker's Engine "
                                                    "API for its shape");
  }
}

// Cmd and Entrypoint: an array, or one string Docker splits no further.
std::optional<std::vector<std::string>> command_field(const json &body, const char *name) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) {
    return std::nullopt;
  }
  if (found->is_string()) {
    return std::vector<std::string>{found->get<std::string>()};
  }
  return opt<std::vector<std::string>>(body, name, {});
}

sdk::Result<void> read_process(const json &body, ContainerConfig &config) {
  config.cmd = command_field(body, "Cmd").value_or(std::vector<std::string>{});
  config.entrypoint = command_field(body, "Entrypoint");
  config.env = opt<std::vector<std::string>>(body, "Env", {});
  config.labels = opt<std::map<std::string, std::string>>(body, "Labels", {});
  config.workdir = opt<std::string>(body, "WorkingDir", "");
  config.user = opt<std::string>(body, "User", "");
  config.hostname = opt<std::string>(body, "Hostname", "");
  config.stop_signal = opt<std::string>(body, "StopSignal", "");
  config.tty = opt(body, "Tty", false);
  config.interactive = opt(body, "OpenStdin", false);
  return {};
}

sdk::Result<void> read_mounts(const json &host, const json &body, ContainerConfig &config) {
  for (const auto &bind : opt<std::vector<std::string>>(host, "Binds", {})) {
    auto mount = parse_volume(bind);
    if (!mount.ok()) {
      return bad_field("HostConfig.Binds", mount.error().describe());
    }
    config.volumes.push_back(*mount);
  }
  for (const auto &mount : opt(host, "Mounts", json::array())) {
    const auto type = opt<std::string>(mount, "Type", "volume");
    const auto target = opt<std::string>(mount, "Target", "");
    if (type == "tmpfs") {
      config.tmpfs.push_back({target, ""});
      continue;
    }
    if (type != "bind" && type != "volume") {
      return bad_field("HostConfig.Mounts", "type '" + type +
                                                "' is not supported; use bind, "
                                                "volume or tmpfs");
    }
    config.volumes.push_back({type == "bind" ? VolumeMount::Kind::bind : VolumeMount::Kind::volume,
                              opt<std::string>(mount, "Source", ""), target,
                              opt(mount, "ReadOnly", false)});
  }
  const auto tmpfs = opt(host, "Tmpfs", json::object());
  for (const auto &[target, options] : tmpfs.items()) {
    config.tmpfs.push_back({target, options.is_string() ? options.get<std::string>() : ""});
  }
  // Config.Volumes lists every volume path, those HostConfig mounts too
  // (compose sends both); only the others become anonymous volumes.
  const auto listed = opt(body, "Volumes", json::object());
  for (const auto &[target, ignored] : listed.items()) {
    const auto covered = [&target = target](const auto &mount) { return mount.target == target; };
    if (std::none_of(config.volumes.begin(), config.volumes.end(), covered) &&
        std::none_of(config.tmpfs.begin(), config.tmpfs.end(), covered)) {
      config.volumes.push_back({VolumeMount::Kind::volume, "", target, false});
    }
  }
  return {};
}

sdk::Result<void> read_ports(const json &host, ContainerConfig &config) {
  const auto published = opt(host, "PortBindings", json::object());
  for (const auto &[key, bindings] : published.items()) {
    for (const auto &binding : bindings.is_array() ? bindings : json::array({json::object()})) {
      const auto host_ip = opt<std::string>(binding, "HostIp", "");
      const auto host_port = opt<std::string>(binding, "HostPort", "");
      std::string spec = host_ip.empty() ? "" : host_ip + ":";
      spec += host_port.empty() ? "" : host_port + ":";
      spec += key;
      auto ports = parse_publish(spec);
      if (!ports.ok()) {
        return bad_field("HostConfig.PortBindings", ports.error().describe());
      }
      config.ports.insert(config.ports.end(), ports->begin(), ports->end());
    }
  }
  config.publish_all = opt(host, "PublishAllPorts", false);
  return {};
}

sdk::Result<void> read_limits(const json &host, ContainerConfig &config) {
  config.memory = opt(host, "Memory", std::int64_t{0});
  config.memory_swap = opt(host, "MemorySwap", std::int64_t{0});
  config.pids_limit = opt(host, "PidsLimit", std::int64_t{0});
  if (const auto nano = opt(host, "NanoCpus", std::int64_t{0}); nano > 0) {
    config.cpus = static_cast<double>(nano) / 1e9;
  } else if (const auto quota = opt(host, "CpuQuota", std::int64_t{0}); quota > 0) {
    const auto period = opt(host, "CpuPeriod", std::int64_t{100000});
    config.cpus = static_cast<double>(quota) / static_cast<double>(period > 0 ? period : 100000);
  }
  for (const auto &limit : opt(host, "Ulimits", json::array())) {
    config.ulimits.push_back({opt<std::string>(limit, "Name", ""),
                              opt(limit, "Soft", std::uint64_t{0}),
                              opt(limit, "Hard", std::uint64_t{0})});
  }
  const auto restart = opt(host, "RestartPolicy", json::object());
  config.restart.name = opt<std::string>(restart, "Name", "no");
  if (config.restart.name.empty()) {
    config.restart.name = "no";
  }
  config.restart.max_retries = opt(restart, "MaximumRetryCount", 0);
  if (auto checked = parse_restart(config.restart.name); !checked.ok()) {
    return bad_field("HostConfig.RestartPolicy.Name", checked.error().describe());
  }
  return {};
}

sdk::Result<void> read_security(const json &host, ContainerConfig &config) {
  for (const auto *list : {"CapAdd", "CapDrop"}) {
    for (const auto &value : opt(host, list, std::vector<std::string>{})) {
      auto name = capability_name(value);
      if (!name.ok()) {
        return bad_field(std::string("HostConfig.") + list, name.error().describe());
      }
      (std::string(list) == "CapAdd" ? config.cap_add : config.cap_drop).push_back(*name);
    }
  }
  for (const auto &option : opt(host, "SecurityOpt", std::vector<std::string>{})) {
    if (option == "no-new-privileges" || option == "no-new-privileges:true" ||
        option == "no-new-privileges=true") {
      config.no_new_privileges = true;
    } else if (option.starts_with("seccomp=") || option.starts_with("seccomp:")) {
      config.seccomp = option.substr(8);
    } else {
      return bad_field("HostConfig.SecurityOpt", "'" + option +
                                                     "' is not supported; berth takes "
                                                     "no-new-privileges and seccomp=");
    }
  }
  config.read_only = opt(host, "ReadonlyRootfs", false);
  config.init = opt(host, "Init", false);
  config.runtime = opt<std::string>(host, "Runtime", "");
  if (config.runtime == "runc") {
    config.runtime.clear(); // Docker's default runtime's name: berth's default backend
  }
  return {};
}

sdk::Result<void> read_network(const json &body, const json &host, ContainerConfig &config) {
  auto mode = opt<std::string>(host, "NetworkMode", "");
  config.network = mode == "default" || mode == "bridge" ? "" : mode;
  config.auto_remove = opt(host, "AutoRemove", false);
  config.dns = opt(host, "Dns", std::vector<std::string>{});
  config.dns_search = opt(host, "DnsSearch", std::vector<std::string>{});
  config.dns_options = opt(host, "DnsOptions", std::vector<std::string>{});
  config.extra_hosts = opt(host, "ExtraHosts", std::vector<std::string>{});
  const auto endpoints =
      opt(opt(body, "NetworkingConfig", json::object()), "EndpointsConfig", json::object());
  for (const auto &[network, endpoint] : endpoints.items()) {
    if (config.network.empty() && network != "bridge") {
      config.network = network;
    }
    if (network != config.network && !(config.network.empty() && network == "bridge")) {
      continue; // more networks are joined with network connect after create
    }
    config.network_aliases = opt(endpoint, "Aliases", std::vector<std::string>{});
    config.ip = opt<std::string>(opt(endpoint, "IPAMConfig", json::object()), "IPv4Address", "");
  }
  const auto log = opt(host, "LogConfig", json::object());
  if (const auto type = opt<std::string>(log, "Type", ""); !type.empty() && type != "json-file") {
    return bad_field("HostConfig.LogConfig.Type", "'" + type +
                                                      "' is not supported; berth "
                                                      "logs with json-file");
  }
  config.log_options = opt(log, "Config", std::map<std::string, std::string>{});
  return {};
}

sdk::Result<ContainerConfig> read_config(const json &body, ContainerConfig config) {
  const auto host = opt(body, "HostConfig", json::object());
  for (auto step :
       {refuse_unsupported(host), read_process(body, config), read_mounts(host, body, config),
        read_ports(host, config), read_limits(host, config), read_security(host, config),
        read_network(body, host, config)}) {
    if (!step.ok()) {
      return std::move(step).error();
    }
  }
  return config;
}

} // namespace

sdk::Result<ContainerConfig> container_request(const nlohmann::json &body,
                                               const std::string &name) {
  if (!body.is_object()) {
    return bad_field("body", "expected a JSON object (Docker's container Config)");
  }
  ContainerConfig config;
  config.name = name.starts_with('/') ? name.substr(1) : name;
  if (!config.name.empty()) {
    if (auto checked = check_container_name(config.name); !checked.ok()) {
      return bad_field("name", checked.error().describe());
    }
  }
  try {
    config.image = opt<std::string>(body, "Image", "");
    if (config.image.empty()) {
      return bad_field("Image", "is required: name the image to create the container from");
    }
    return read_config(body, std::move(config));
  } catch (const std::invalid_argument &error) {
    return bad_field("body", error.what());
  }
}

} // namespace berth::berthd
