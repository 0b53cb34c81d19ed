// What a user asks of a container (the flags of `berth create` and `run`),
// validated, and stored with the container so that a restart or an inspect
// sees the same request.
#pragma once

#include "network/published_port.hpp"

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

struct VolumeMount {
  enum class Kind { bind, volume };
  Kind kind = Kind::volume;
  std::string source; // host path (bind), volume name, or "" for an anonymous volume
  std::string target; // absolute path in the container
  bool read_only = false;
};

struct TmpfsMount {
  std::string target;
  std::string options; // "size=64m,mode=1777"
};

struct Ulimit {
  std::string name; // "nofile"
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

struct RestartPolicy {
  std::string name = "no"; // no | on-failure | always | unless-stopped
  int max_retries = 0;     // on-failure only; 0: unlimited
};

struct ContainerConfig {
  std::string image;
  std::string name;
  std::vector<std::string> cmd;                       // replaces the image's Cmd
  std::optional<std::vector<std::string>> entrypoint; // replaces the image's Entrypoint
  std::vector<std::string> env;                       // KEY=VALUE
  std::string workdir;
  std::string user;
  std::string stop_signal; // --stop-signal; "" for the image's StopSignal, else SIGTERM
  std::string hostname;
  std::int64_t memory = 0;      // bytes, 0: unlimited
  std::int64_t memory_swap = 0; // memory + swap; -1 unlimited, 0: twice memory (Docker)
  double cpus = 0;
  std::int64_t pids_limit = 0;
  bool read_only = false;
  std::vector<TmpfsMount> tmpfs;
  std::vector<VolumeMount> volumes;
  RestartPolicy restart;
  bool init = false;
  std::string runtime; // backend name; "" the stack's default
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::string seccomp; // "" default profile, "unconfined", or a profile file
  bool no_new_privileges = false;
  std::vector<Ulimit> ulimits;
  std::map<std::string, std::string> labels;
  bool tty = false;
  bool interactive = false;
  bool auto_remove = false;
  std::string network; // a network's name, "host" or "none"; "" for the stack's default
  std::vector<std::string> network_aliases; // on that network
  std::string ip;                           // on that network; "" for any
  std::vector<PublishedPort> ports;         // -p, and -P's once resolved at create
  bool publish_all = false;                 // -P
  std::vector<std::string> extra_hosts;     // --add-host, as "name:ip"
  std::vector<std::string> dns;             // --dns servers
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_options;
  std::map<std::string, std::string> log_options; // max-size, max-file
};

nlohmann::json to_json(const ContainerConfig &config);
ContainerConfig config_from_json(const nlohmann::json &json);

// Parsers for flag values; each error names the flag and the value and says
// what a good one looks like.
sdk::Result<std::int64_t> parse_size(const std::string &flag, const std::string &value);
sdk::Result<double> parse_cpus(const std::string &value);
sdk::Result<Ulimit> parse_ulimit(const std::string &value);
sdk::Result<RestartPolicy> parse_restart(const std::string &value);
sdk::Result<VolumeMount> parse_volume(const std::string &value);
sdk::Result<TmpfsMount> parse_tmpfs(const std::string &value);
// KEY=VALUE of a --label, -o and the like; a bare KEY has an empty value.
sdk::Result<std::pair<std::string, std::string>> parse_key_value(const std::string &flag,
                                                                 const std::string &value);
// KEY=VALUE lines of an --env-file; "KEY" alone takes the value from our environment.
sdk::Result<std::vector<std::string>> read_env_file(const std::string &file);
// "-e KEY" alone takes the value from our environment, like Docker.
std::optional<std::string> env_entry(const std::string &value);
// Capability names as OCI wants them ("net_admin" -> "CAP_NET_ADMIN"); "ALL" stays.
sdk::Result<std::string> capability_name(const std::string &value);
// Checks a container name: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
sdk::Result<void> check_container_name(const std::string &name);

} // namespace berth
