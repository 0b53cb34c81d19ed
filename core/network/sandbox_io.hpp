// The kernel and file side of a container's network sandbox: its namespace
// file, the host ports it holds, and its /etc/hosts.
#pragma once

#include "network/published_port.hpp"
#include "util/fd.hpp"

#include <berth/sdk/network.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace berth {

// A new network namespace kept alive by a bind mount on file, so that it
// outlives the processes in it and a runtime can join it by path.
sdk::Result<void> create_netns(const std::filesystem::path &file);
// Unmounts and unlinks; ok when there is nothing.
sdk::Result<void> remove_netns(const std::filesystem::path &file);

struct BoundPort {
  UniqueFd socket;
  sdk::PortMapping mapping; // host_port as bound (a real port for 0)
};

// Binds the host side of a published port, which claims it against every
// other program (and container) until the socket closes. Never listens:
// traffic reaches the container through the driver's DNAT, not this socket.
sdk::Result<BoundPort> bind_host_port(const PublishedPort &port);

// /etc/hosts is bind-mounted into the container, so it is rewritten in
// place (same inode) rather than replaced.
struct HostsEntry {
  std::string address;
  std::vector<std::string> names;
};
std::string hosts_text(const std::vector<HostsEntry> &own, const std::vector<std::string> &extra,
                       const std::vector<HostsEntry> &peers);
// Replaces what follows the peers marker of an existing file.
sdk::Result<void> rewrite_hosts_peers(const std::filesystem::path &file,
                                      const std::vector<HostsEntry> &peers);
sdk::Result<void> write_in_place(const std::filesystem::path &file, const std::string &text);

} // namespace berth
