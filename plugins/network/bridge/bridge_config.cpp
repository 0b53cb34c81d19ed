#include "bridge/bridge_config.hpp"

#include <algorithm>
#include <cctype>
#include <type_traits>

namespace berth::network {
namespace {

constexpr std::size_t kIfnameMax = 15; // IFNAMSIZ - 1

sdk::Error invalid(const std::string &key, const std::string &why) {
  return sdk::make_error(sdk::Errc::invalid_argument, why, "option " + key);
}

// Sets out to the value of key in overrides, else in defaults, and leaves
// it alone when neither has the key; an error when the value has the wrong
// type.
template <class T>
sdk::Result<void> pick(const nlohmann::json &defaults, const nlohmann::json &overrides,
                       const std::string &key, T &out) {
  for (const auto *source : {&overrides, &defaults}) {
    if (!source->is_object() || !source->contains(key)) {
      continue;
    }
    const auto &value = source->at(key);
    const bool fits = std::is_same_v<T, bool>  ? value.is_boolean()
                      : std::is_same_v<T, int> ? value.is_number_integer()
                                               : value.is_string();
    if (!fits) {
      return invalid(key, "has the wrong type (" + std::string(value.type_name()) +
                              "); see `berth plugins inspect bridge`");
    }
    out = value.template get<T>();
    return {};
  }
  return {};
}

} // namespace

bool is_hex_id(const std::string &id, std::size_t digits) {
  return id.size() >= digits &&
         std::all_of(id.begin(), id.begin() + static_cast<std::ptrdiff_t>(digits),
                     [](unsigned char c) { return std::isxdigit(c) != 0; });
}

sdk::Result<void> check_ifname(const std::string &name, const std::string &what) {
  const bool allowed = std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '-';
  });
  if (name.empty() || name.size() > kIfnameMax || !allowed || name == "." || name == "..") {
    return invalid(what, "'" + name +
                             "' is not a usable interface name; use 1 to 15 letters, digits, "
                             "'_', '.' or '-'");
  }
  return {};
}

sdk::Result<BridgeOptions> parse_options(const nlohmann::json &defaults,
                                         const nlohmann::json &overrides) {
  BridgeOptions options;
  for (const auto &picked : {pick(defaults, overrides, "bridge", options.bridge),
                             pick(defaults, overrides, "mtu", options.mtu),
                             pick(defaults, overrides, "nat", options.nat),
                             pick(defaults, overrides, "isolate", options.isolate),
                             pick(defaults, overrides, "host_loopback", options.host_loopback)}) {
    if (!picked.ok()) {
      return picked.error();
    }
  }
  if (!options.bridge.empty()) {
    if (auto checked = check_ifname(options.bridge, "bridge"); !checked.ok()) {
      return std::move(checked).error();
    }
  }
  // 68 is IPv4's minimum; 65535 the most a bridge or veth takes.
  if (options.mtu < 68 || options.mtu > 65535) {
    return invalid("mtu", std::to_string(options.mtu) + " is out of range; give 68 to 65535");
  }
  return options;
}

sdk::Result<BridgePlan> plan_network(const nlohmann::json &defaults, const sdk::Network &network) {
  if (!is_hex_id(network.id, 12)) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "network id '" + network.id + "' is not a hex id of 12+ digits",
                           network.name);
  }
  auto options = parse_options(defaults, network.options);
  if (!options.ok()) {
    auto error = std::move(options).error();
    error.context = network.name + ": " + error.context;
    return error;
  }
  BridgePlan plan;
  plan.options = std::move(options).value();
  plan.network_name = network.name;
  plan.short_id = network.id.substr(0, 12);
  plan.internal = network.internal;
  const auto &state = network.driver_state;
  if (state.is_object() && state.value("bridge", std::string{}) != "") {
    plan.options.bridge = state.value("bridge", std::string{});
    plan.owned = state.value("owned", true);
  }
  if (plan.options.bridge.empty()) {
    plan.options.bridge = "br-" + plan.short_id;
  }
  return plan;
}

sdk::Result<void> set_pool(BridgePlan &plan, const std::string &subnet,
                           const std::string &gateway) {
  auto parsed = sdk::Ipv4Subnet::parse(subnet);
  if (!parsed.ok()) {
    auto error = std::move(parsed).error();
    error.context = plan.network_name;
    return error;
  }
  const auto address = sdk::Ipv4::parse(gateway);
  if (!address || !parsed->is_host(*address)) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "gateway '" + gateway + "' is not a host address in " + subnet,
                           plan.network_name);
  }
  plan.subnet = *parsed;
  plan.gateway = *address;
  plan.pooled = true;
  return {};
}

std::string host_ifname(const std::string &endpoint_id) {
  return "vb" + endpoint_id.substr(0, 13);
}

} // namespace berth::network
