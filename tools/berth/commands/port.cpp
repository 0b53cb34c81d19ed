// `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: a running container's
// published ports as bound, in docker port's format.
#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <optional>
#include <tuple>

namespace berth::cli {
namespace {

using strings = std::vector<std::string>;

struct PrivatePort {
  std::uint16_t port = 0;
  std::string protocol = "tcp";
};

// "80" or "80/udp"; a usage error names what was wrong.
PrivatePort parse_private_port(const std::string &value) {
  const auto slash = value.find('/');
  const auto number = value.substr(0, slash);
  PrivatePort wanted;
  if (slash != std::string::npos) {
    wanted.protocol = value.substr(slash + 1);
  }
  unsigned port = 0;
  const auto *end = number.data() + number.size();
  const auto [next, error] = std::from_chars(number.data(), end, port);
  if (error != std::errc{} || next != end || port == 0 || port > 65535) {
    throw UsageError("invalid port \"" + value + "\": expected PORT[/tcp|udp], PORT 1-65535");
  }
  if (wanted.protocol != "tcp" && wanted.protocol != "udp") {
    throw UsageError("invalid protocol \"" + wanted.protocol + "\" in \"" + value +
                     "\": use tcp or udp");
  }
  wanted.port = static_cast<std::uint16_t>(port);
  return wanted;
}

// "0.0.0.0:8080": "" means every address, which Docker shows as 0.0.0.0.
std::string host_side(const sdk::PortMapping &mapping) {
  return (mapping.host_ip.empty() ? std::string("0.0.0.0") : mapping.host_ip) + ":" +
         std::to_string(mapping.host_port);
}

std::string private_side(const sdk::PortMapping &mapping) {
  return std::to_string(mapping.container_port) + "/" + mapping.protocol;
}

int run_port(Context &context, const strings &args) {
  po::options_description options("Port options");
  auto parsed = parse_command(context, args, "port CONTAINER [PRIVATE_PORT[/PROTO]]",
                              "List a running container's published ports, or the host address "
                              "of one of them.",
                              options, {"container", "private_port"});
  if (parsed.help_shown) {
    return kExitOk;
  }
  if (parsed.vm.count("container") == 0U) {
    throw UsageError("'berth port' needs a CONTAINER; see 'berth port --help'");
  }
  const auto container = parsed.vm["container"].as<std::string>();
  std::optional<PrivatePort> wanted;
  if (parsed.vm.count("private_port") != 0U) {
    wanted = parse_private_port(parsed.vm["private_port"].as<std::string>());
  }
  auto engine = context.open_engine();
  auto mappings = value_or_fail(value_or_fail(engine->containers())->ports(container));
  std::sort(mappings.begin(), mappings.end(), [](const auto &a, const auto &b) {
    return std::tie(a.container_port, a.protocol, a.host_ip, a.host_port) <
           std::tie(b.container_port, b.protocol, b.host_ip, b.host_port);
  });
  if (!wanted) {
    for (const auto &mapping : mappings) {
      std::cout << private_side(mapping) << " -> " << host_side(mapping) << "\n";
    }
    return kExitOk;
  }
  bool found = false;
  for (const auto &mapping : mappings) {
    if (mapping.container_port == wanted->port && mapping.protocol == wanted->protocol) {
      std::cout << host_side(mapping) << "\n";
      found = true;
    }
  }
  if (!found) {
    throw CommandError("no public port '" + std::to_string(wanted->port) + "/" + wanted->protocol +
                       "' published for " + container);
  }
  return kExitOk;
}

} // namespace

Command port_command() {
  return {"port", "list a container's published ports", run_port};
}

} // namespace berth::cli
