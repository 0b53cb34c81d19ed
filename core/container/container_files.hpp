// The files berth writes into a container's directory for it: hostname,
// hosts, resolv.conf, and the markers the monitor reads.
#pragma once

#include "container/container_config.hpp"

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth {

// The whole file; "" when it cannot be read.
std::string read_text(const std::filesystem::path &file);
sdk::Result<void> write_text(const std::filesystem::path &file, const std::string &text);
// --add-host's "name:ip" as /etc/hosts lines; create checked them.
std::vector<std::string> extra_host_lines(const std::vector<std::string> &extra);
// What /etc/hosts holds until the network service writes the container's
// addresses at start: the host's own with the host's network.
std::string hosts_file(const std::string &hostname, const std::vector<std::string> &extra,
                       bool host_network);
// --dns and friends as given; else the host's (as is with its network).
std::string resolv_conf(const ContainerConfig &config, bool host_network);
std::string host_hostname();

} // namespace berth
