#include "network/published_port.hpp"

#include <berth/sdk/ipv4.hpp>

#include <charconv>
#include <optional>

namespace berth {
namespace {

using sdk::Errc;

sdk::Error bad_publish(const std::string &value, const std::string &why) {
  return sdk::make_error(Errc::invalid_argument,
                         "invalid port '" + value + "': " + why +
                             "; use [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], e.g. 8080:80",
                         "--publish");
}

std::optional<std::uint16_t> parse_port(std::string_view text, bool zero_ok) {
  unsigned value = 0;
  auto [next, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || next != text.data() + text.size() || value > 65535 ||
      (value == 0 && !zero_ok)) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// "80" or "8000-8010": first and last.
std::optional<std::pair<std::uint16_t, std::uint16_t>> parse_range(std::string_view text,
                                                                   bool zero_ok) {
  const auto dash = text.find('-');
  auto first = parse_port(text.substr(0, dash), zero_ok);
  auto last = dash == std::string_view::npos ? first : parse_port(text.substr(dash + 1), zero_ok);
  if (!first || !last || *last < *first) {
    return std::nullopt;
  }
  return std::pair{*first, *last};
}

struct ExposedRange {
  std::uint16_t first = 0;
  std::uint16_t second = 0;
  std::string protocol;
};

// An image may only say which of its ports listen: never a host address or
// port, which are the user's to choose with -p.
std::optional<ExposedRange> exposed_range(const std::string &key) {
  const auto slash = key.find('/');
  const auto protocol = slash == std::string::npos ? std::string("tcp") : key.substr(slash + 1);
  if (protocol != "tcp" && protocol != "udp") {
    return std::nullopt;
  }
  auto range = parse_range(std::string_view(key).substr(0, slash), false);
  if (!range) {
    return std::nullopt;
  }
  return ExposedRange{range->first, range->second, protocol};
}

} // namespace

nlohmann::json to_json(const PublishedPort &port) {
  return {{"hostIp", port.host_ip},
          {"hostPort", port.host_port},
          {"containerPort", port.container_port},
          {"protocol", port.protocol}};
}

PublishedPort published_port_from_json(const nlohmann::json &json) {
  return {json.value("hostIp", ""), json.value("hostPort", std::uint16_t{0}),
          json.value("containerPort", std::uint16_t{0}), json.value("protocol", "tcp")};
}

sdk::Result<std::vector<PublishedPort>> parse_publish(const std::string &value) {
  std::string spec = value;
  std::string protocol = "tcp";
  if (const auto slash = spec.rfind('/'); slash != std::string::npos) {
    protocol = spec.substr(slash + 1);
    spec.resize(slash);
    if (protocol != "tcp" && protocol != "udp") {
      return bad_publish(value, "the protocol must be tcp or udp");
    }
  }
  std::string host_ip;
  std::string host_part;
  std::string container_part = spec;
  if (const auto colon = spec.rfind(':'); colon != std::string::npos) {
    container_part = spec.substr(colon + 1);
    host_part = spec.substr(0, colon);
    if (const auto ip_colon = host_part.rfind(':'); ip_colon != std::string::npos) {
      host_ip = host_part.substr(0, ip_colon);
      host_part = host_part.substr(ip_colon + 1);
      if (!sdk::Ipv4::parse(host_ip)) {
        return bad_publish(value, "'" + host_ip + "' is not an IPv4 address");
      }
    }
  }
  auto container = parse_range(container_part, false);
  if (!container) {
    return bad_publish(value, "the container port must be a number from 1 to 65535");
  }
  auto host = host_part.empty() ? std::pair<std::uint16_t, std::uint16_t>{0, 0}
                                : parse_range(host_part, true).value_or(std::pair{1, 0});
  const auto count = container->second - container->first;
  if (host.second < host.first || (!host_part.empty() && host.second - host.first != count)) {
    return bad_publish(value, "the host port must be a number or a range as long as the "
                              "container's");
  }
  std::vector<PublishedPort> ports;
  ports.reserve(static_cast<std::size_t>(count) + 1);
  for (int i = 0; i <= count; ++i) {
    const auto offset = static_cast<std::uint16_t>(i);
    const auto host_port =
        host.first == 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(host.first + offset);
    ports.push_back(
        {host_ip, host_port, static_cast<std::uint16_t>(container->first + offset), protocol});
  }
  return ports;
}

sdk::Result<std::vector<PublishedPort>> exposed_ports(const nlohmann::json &image_config) {
  std::vector<PublishedPort> ports;
  const auto config = image_config.value("config", nlohmann::json::object());
  const auto exposed = config.value("ExposedPorts", nlohmann::json::object());
  for (const auto &[key, ignored] : exposed.items()) {
    auto range = exposed_range(key);
    if (!range) {
      return sdk::make_error(Errc::invalid_argument,
                             "the image exposes '" + key +
                                 "', which is not PORT[/tcp|udp] or START-END[/tcp|udp]; "
                                 "publish its ports with -p instead of -P",
                             "--publish-all");
    }
    for (unsigned port = range->first; port <= range->second; ++port) {
      ports.push_back({"", 0, static_cast<std::uint16_t>(port), range->protocol});
    }
  }
  return ports;
}

sdk::Result<std::string> parse_add_host(const std::string &value) {
  auto separator = value.find('=');
  if (separator == std::string::npos) {
    separator = value.find(':');
  }
  const auto name = value.substr(0, separator == std::string::npos ? 0 : separator);
  const auto address = separator == std::string::npos ? "" : value.substr(separator + 1);
  if (name.empty() || !sdk::Ipv4::parse(address)) {
    return sdk::make_error(Errc::invalid_argument,
                           "invalid host '" + value + "'; use NAME:IPv4, e.g. db:10.0.0.5",
                           "--add-host");
  }
  return address + "\t" + name;
}

} // namespace berth
