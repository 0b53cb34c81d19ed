// Published ports as `run -p` and `-P` ask for them, before the engine binds
// them: host_port 0 means "any free port".
#pragma once

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

struct PublishedPort {
  std::string host_ip; // "" for every address
  std::uint16_t host_port = 0;
  std::uint16_t container_port = 0;
  std::string protocol = "tcp";

  friend bool operator==(const PublishedPort &, const PublishedPort &) = default;
};

nlohmann::json to_json(const PublishedPort &port);
PublishedPort published_port_from_json(const nlohmann::json &json);

// "[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]" as docker run -p takes it.
sdk::Result<std::vector<PublishedPort>> parse_publish(const std::string &value);
// The "80/tcp" keys of an image's ExposedPorts, to publish on free host ports (-P).
sdk::Result<std::vector<PublishedPort>> exposed_ports(const nlohmann::json &image_config);
// --add-host "name:ip" (or "name=ip") as an /etc/hosts line "ip\tname".
sdk::Result<std::string> parse_add_host(const std::string &value);

} // namespace berth
