#include "container/container_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

namespace berth {
namespace {

using nlohmann::json;

sdk::Error bad_value(const std::string &flag, const std::string &value, const std::string &hint) {
  return sdk::make_error(sdk::Errc::invalid_argument,
                         "invalid value \"" + value + "\" for " + flag + ": " + hint);
}

const std::set<std::string> &known_ulimits() {
  static const std::set<std::string> names = {
      "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
      "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    "as"};
  return names;
}

const std::set<std::string> &known_capabilities() {
  static const std::set<std::string> names = {"CHOWN",
                                              "DAC_OVERRIDE",
                                              "DAC_READ_SEARCH",
                                              "FOWNER",
                                              "FSETID",
                                              "KILL",
                                              "SETGID",
                                              "SETUID",
                                              "SETPCAP",
                                              "LINUX_IMMUTABLE",
                                              "NET_BIND_SERVICE",
                                              "NET_BROADCAST",
                                              "NET_ADMIN",
                                              "NET_RAW",
                                              "IPC_LOCK",
                                              "IPC_OWNER",
                                              "SYS_MODULE",
                                              "SYS_RAWIO",
                                              "SYS_CHROOT",
                                              "SYS_PTRACE",
                                              "SYS_PACCT",
                                              "SYS_ADMIN",
                                              "SYS_BOOT",
                                              "SYS_NICE",
                                              "SYS_RESOURCE",
                                              "SYS_TIME",
                                              "SYS_TTY_CONFIG",
                                              "MKNOD",
                                              "LEASE",
                                              "AUDIT_WRITE",
                                              "AUDIT_CONTROL",
                                              "SETFCAP",
                                              "MAC_OVERRIDE",
                                              "MAC_ADMIN",
                                              "SYSLOG",
                                              "WAKE_ALARM",
                                              "BLOCK_SUSPEND",
                                              "AUDIT_READ",
                                              "PERFMON",
                                              "BPF",
                                              "CHECKPOINT_RESTORE"};
  return names;
}

bool is_absolute(const std::string &path) {
  return !path.empty() && path.front() == '/';
}

json volume_json(const VolumeMount &v) {
  return {{"kind", v.kind == VolumeMount::Kind::bind ? "bind" : "volume"},
          {"source", v.source},
          {"target", v.target},
          {"readOnly", v.read_only}};
}

} // namespace

json to_json(const ContainerConfig &c) {
  json volumes = json::array();
  for (const auto &v : c.volumes) {
    volumes.push_back(volume_json(v));
  }
  json tmpfs = json::array();
  for (const auto &t : c.tmpfs) {
    tmpfs.push_back({{"target", t.target}, {"options", t.options}});
  }
  json ulimits = json::array();
  for (const auto &u : c.ulimits) {
    ulimits.push_back({{"name", u.name}, {"soft", u.soft}, {"hard", u.hard}});
  }
  json ports = json::array();
  for (const auto &port : c.ports) {
    ports.push_back(to_json(port));
  }
  json doc = {{"image", c.image},
              {"name", c.name},
              {"cmd", c.cmd},
              {"env", c.env},
              {"workdir", c.workdir},
              {"user", c.user},
              {"stopSignal", c.stop_signal},
              {"hostname", c.hostname},
              {"memory", c.memory},
              {"memorySwap", c.memory_swap},
              {"cpus", c.cpus},
              {"pidsLimit", c.pids_limit},
              {"readOnly", c.read_only},
              {"tmpfs", tmpfs},
              {"volumes", volumes},
              {"restart", {{"name", c.restart.name}, {"maxRetries", c.restart.max_retries}}},
              {"init", c.init},
              {"runtime", c.runtime},
              {"capAdd", c.cap_add},
              {"capDrop", c.cap_drop},
              {"seccomp", c.seccomp},
              {"noNewPrivileges", c.no_new_privileges},
              {"ulimits", ulimits},
              {"labels", c.labels},
              {"tty", c.tty},
              {"interactive", c.interactive},
              {"autoRemove", c.auto_remove},
              {"network", c.network},
              {"networkAliases", c.network_aliases},
              {"ip", c.ip},
              {"ports", ports},
              {"publishAll", c.publish_all},
              {"extraHosts", c.extra_hosts},
              {"dns", c.dns},
              {"dnsSearch", c.dns_search},
              {"dnsOptions", c.dns_options},
              {"logOptions", c.log_options}};
  if (c.entrypoint) {
    doc["entrypoint"] = *c.entrypoint;
  }
  return doc;
}

ContainerConfig config_from_json(const json &j) {
  ContainerConfig c;
  c.image = j.value("image", "");
  c.name = j.value("name", "");
  c.cmd = j.value("cmd", std::vector<std::string>{});
  if (j.contains("entrypoint")) {
    c.entrypoint = j["entrypoint"].get<std::vector<std::string>>();
  }
  c.env = j.value("env", std::vector<std::string>{});
  c.workdir = j.value("workdir", "");
  c.user = j.value("user", "");
  c.stop_signal = j.value("stopSignal", "");
  c.hostname = j.value("hostname", "");
  c.memory = j.value("memory", std::int64_t{0});
  c.memory_swap = j.value("memorySwap", std::int64_t{0});
  c.cpus = j.value("cpus", 0.0);
  c.pids_limit = j.value("pidsLimit", std::int64_t{0});
  c.read_only = j.value("readOnly", false);
  for (const auto &t : j.value("tmpfs", json::array())) {
    c.tmpfs.push_back({t.value("target", ""), t.value("options", "")});
  }
  for (const auto &v : j.value("volumes", json::array())) {
    c.volumes.push_back(
        {v.value("kind", "volume") == "bind" ? VolumeMount::Kind::bind : VolumeMount::Kind::volume,
         v.value("source", ""), v.value("target", ""), v.value("readOnly", false)});
  }
  const auto restart = j.value("restart", json::object());
  c.restart = {restart.value("name", "no"), restart.value("maxRetries", 0)};
  c.init = j.value("init", false);
  c.runtime = j.value("runtime", "");
  c.cap_add = j.value("capAdd", std::vector<std::string>{});
  c.cap_drop = j.value("capDrop", std::vector<std::string>{});
  c.seccomp = j.value("seccomp", "");
  c.no_new_privileges = j.value("noNewPrivileges", false);
  for (const auto &u : j.value("ulimits", json::array())) {
    c.ulimits.push_back({u.value("name", ""), u.value("soft", std::uint64_t{0}),
                         u.value("hard", std::uint64_t{0})});
  }
  c.labels = j.value("labels", std::map<std::string, std::string>{});
  c.tty = j.value("tty", false);
  c.interactive = j.value("interactive", false);
  c.auto_remove = j.value("autoRemove", false);
  c.network = j.value("network", "");
  c.network_aliases = j.value("networkAliases", std::vector<std::string>{});
  c.ip = j.value("ip", "");
  for (const auto &port : j.value("ports", json::array())) {
    c.ports.push_back(published_port_from_json(port));
  }
  c.publish_all = j.value("publishAll", false);
  c.extra_hosts = j.value("extraHosts", std::vector<std::string>{});
  c.dns = j.value("dns", std::vector<std::string>{});
  c.dns_search = j.value("dnsSearch", std::vector<std::string>{});
  c.dns_options = j.value("dnsOptions", std::vector<std::string>{});
  c.log_options = j.value("logOptions", std::map<std::string, std::string>{});
  return c;
}

sdk::Result<std::int64_t> parse_size(const std::string &flag, const std::string &value) {
  const std::string hint = "expected a size such as 512m, 1g or 1048576 (bytes)";
  if (value == "-1") {
    return std::int64_t{-1};
  }
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(value, &used);
  } catch (const std::exception &) {
    return bad_value(flag, value, hint);
  }
  auto unit = value.substr(used);
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (!unit.empty() && unit.back() == 'b' && unit.size() > 1) {
    unit.pop_back(); // "mb" like Docker's units package
  }
  static const std::map<std::string, double> scale = {{"", 1},
                                                      {"b", 1},
                                                      {"k", 1024.0},
                                                      {"m", 1024.0 * 1024},
                                                      {"g", 1024.0 * 1024 * 1024},
                                                      {"t", 1024.0 * 1024 * 1024 * 1024}};
  auto found = scale.find(unit);
  if (found == scale.end() || number < 0 || !std::isfinite(number)) {
    return bad_value(flag, value, hint);
  }
  // 2^63 bytes and more do not fit the int64 the kernel's limits take.
  const double bytes = number * found->second;
  if (bytes >= 0x1p63) {
    return bad_value(flag, value, "that is more than 8 EiB; " + hint);
  }
  return static_cast<std::int64_t>(bytes);
}

sdk::Result<double> parse_cpus(const std::string &value) {
  try {
    std::size_t used = 0;
    const double cpus = std::stod(value, &used);
    // The kernel's smallest CFS quota is 1 ms of a 100 ms period.
    if (used == value.size() && cpus >= 0.01 && std::isfinite(cpus)) {
      return cpus;
    }
  } catch (const std::exception &) {
  }
  return bad_value("--cpus", value, "expected a number of CPUs from 0.01 up, such as 0.5 or 2");
}

sdk::Result<Ulimit> parse_ulimit(const std::string &value) {
  const auto equals = value.find('=');
  const std::string hint = "expected NAME=SOFT[:HARD], for example nofile=1024:2048";
  if (equals == std::string::npos) {
    return bad_value("--ulimit", value, hint);
  }
  Ulimit limit;
  limit.name = value.substr(0, equals);
  if (known_ulimits().count(limit.name) == 0) {
    return bad_value("--ulimit", value, "unknown limit '" + limit.name + "'; " + hint);
  }
  const auto numbers = value.substr(equals + 1);
  const auto colon = numbers.find(':');
  try {
    std::size_t used = 0;
    const auto soft_text = numbers.substr(0, colon);
    limit.soft = std::stoull(soft_text, &used);
    if (used != soft_text.size()) {
      return bad_value("--ulimit", value, hint);
    }
    limit.hard = limit.soft;
    if (colon != std::string::npos) {
      const auto hard_text = numbers.substr(colon + 1);
      limit.hard = std::stoull(hard_text, &used);
      if (used != hard_text.size()) {
        return bad_value("--ulimit", value, hint);
      }
    }
  } catch (const std::exception &) {
    return bad_value("--ulimit", value, hint);
  }
  if (limit.soft > limit.hard) {
    return bad_value("--ulimit", value, "the soft limit is above the hard limit");
  }
  return limit;
}

sdk::Result<RestartPolicy> parse_restart(const std::string &value) {
  const std::string hint = "expected no, always, unless-stopped or on-failure[:MAX-RETRIES]";
  RestartPolicy policy;
  const auto colon = value.find(':');
  policy.name = value.substr(0, colon);
  if (policy.name != "no" && policy.name != "always" && policy.name != "unless-stopped" &&
      policy.name != "on-failure") {
    return bad_value("--restart", value, hint);
  }
  if (colon != std::string::npos) {
    if (policy.name != "on-failure") {
      return bad_value("--restart", value, "only on-failure takes a retry count");
    }
    try {
      std::size_t used = 0;
      policy.max_retries = std::stoi(value.substr(colon + 1), &used);
      if (used != value.size() - colon - 1 || policy.max_retries < 0) {
        return bad_value("--restart", value, hint);
      }
    } catch (const std::exception &) {
      return bad_value("--restart", value, hint);
    }
  }
  return policy;
}

sdk::Result<VolumeMount> parse_volume(const std::string &value) {
  const std::string hint = "expected HOST-PATH:CONTAINER-PATH[:ro], NAME:CONTAINER-PATH[:ro] or "
                           "CONTAINER-PATH";
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = value.find(':', start);
    parts.push_back(value.substr(start, colon - start));
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  VolumeMount mount;
  if (parts.size() == 1) {
    mount.target = parts[0]; // an anonymous volume
  } else if (parts.size() <= 3) {
    mount.source = parts[0];
    mount.target = parts[1];
    if (parts.size() == 3) {
      if (parts[2] != "ro" && parts[2] != "rw") {
        return bad_value("--volume", value, "mode must be ro or rw");
      }
      mount.read_only = parts[2] == "ro";
    }
  } else {
    return bad_value("--volume", value, hint);
  }
  if (!is_absolute(mount.target)) {
    return bad_value("--volume", value, "the container path must be absolute; " + hint);
  }
  if (mount.source.empty() && parts.size() > 1) {
    return bad_value("--volume", value, hint);
  }
  mount.kind = is_absolute(mount.source) || mount.source.starts_with(".")
                   ? VolumeMount::Kind::bind
                   : VolumeMount::Kind::volume;
  if (mount.kind == VolumeMount::Kind::bind && !is_absolute(mount.source)) {
    return bad_value("--volume", value, "a host path must be absolute");
  }
  if (mount.kind == VolumeMount::Kind::volume && !mount.source.empty()) {
    if (auto named = check_container_name(mount.source); !named.ok()) {
      return bad_value("--volume", value,
                       "a volume name uses letters, digits, '_', '.' and '-'; " + hint);
    }
  }
  return mount;
}

sdk::Result<TmpfsMount> parse_tmpfs(const std::string &value) {
  const auto colon = value.find(':');
  TmpfsMount mount{value.substr(0, colon),
                   colon == std::string::npos ? std::string{} : value.substr(colon + 1)};
  if (!is_absolute(mount.target)) {
    return bad_value("--tmpfs", value, "expected CONTAINER-PATH[:OPTIONS], e.g. /run:size=64m");
  }
  return mount;
}

sdk::Result<std::pair<std::string, std::string>> parse_key_value(const std::string &flag,
                                                                 const std::string &value) {
  const auto equals = value.find('=');
  if (value.empty() || equals == 0) {
    return bad_value(flag, value, "expected KEY=VALUE");
  }
  if (equals == std::string::npos) {
    return std::make_pair(value, std::string{});
  }
  return std::make_pair(value.substr(0, equals), value.substr(equals + 1));
}

std::optional<std::string> env_entry(const std::string &value) {
  if (value.find('=') != std::string::npos) {
    return value;
  }
  if (const char *ours = std::getenv(value.c_str())) {
    return value + "=" + ours;
  }
  return std::nullopt; // Docker drops an unset variable named alone
}

sdk::Result<std::vector<std::string>> read_env_file(const std::string &file) {
  std::ifstream in(file);
  if (!in) {
    return sdk::make_error(sdk::Errc::not_found, "cannot read the env file; check the path", file);
  }
  std::vector<std::string> env;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    line = line.substr(first);
    if (line.front() == '=' || line.find_first_of(" \t") < line.find('=')) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "expected KEY=VALUE, got \"" + line + "\"",
                             file + ":" + std::to_string(number));
    }
    if (auto entry = env_entry(line)) {
      env.push_back(*entry);
    }
  }
  return env;
}

sdk::Result<std::string> capability_name(const std::string &value) {
  std::string name = value;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  if (name == "ALL") {
    return name;
  }
  if (name.starts_with("CAP_")) {
    name = name.substr(4);
  }
  if (known_capabilities().count(name) == 0) {
    return sdk::make_error(
        sdk::Errc::invalid_argument,
        "unknown capability \"" + value +
            "\"; names look like NET_ADMIN or CAP_NET_ADMIN (see capabilities(7))");
  }
  return "CAP_" + name;
}

sdk::Result<void> check_container_name(const std::string &name) {
  const bool good = !name.empty() && std::isalnum(static_cast<unsigned char>(name.front())) != 0 &&
                    std::all_of(name.begin(), name.end(), [](unsigned char ch) {
                      return std::isalnum(ch) != 0 || ch == '_' || ch == '.' || ch == '-';
                    });
  if (!good) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "invalid name \"" + name +
                               "\": only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed");
  }
  return {};
}

} // namespace berth
