#include "bridge/bridge_rules.hpp"

#include <algorithm>
#include <array>

namespace berth::network {
namespace {

constexpr auto kTable = "ip berth";

std::string quoted(const std::string &name) {
  return "\"" + name + "\"";
}

// The three chains of one network, named after its short id.
struct NetworkChains {
  std::string post, fwd_in, fwd_out;
  explicit NetworkChains(const BridgePlan &plan)
      : post("post_" + plan.short_id), fwd_in("fwd_in_" + plan.short_id),
        fwd_out("fwd_out_" + plan.short_id) {}
  [[nodiscard]] std::vector<std::string> all() const { return {post, fwd_in, fwd_out}; }
};

// "add element ip berth MAP { KEY : VALUE }" or, without a value, a set's.
std::string element(const std::string &verb, const std::string &map, const std::string &key,
                    const std::string &value = {}) {
  return verb + " element " + kTable + " " + map + " { " + key +
         (value.empty() ? "" : " : " + value) + " }\n";
}

// The bridge's entries in the set and the three dispatch maps.
std::vector<std::pair<std::string, std::string>> dispatch_entries(const BridgePlan &plan) {
  const NetworkChains chains(plan);
  return {{"bridges", ""},
          {"post_nets", "jump " + chains.post},
          {"fwd_in", "jump " + chains.fwd_in},
          {"fwd_out", "jump " + chains.fwd_out}};
}

std::string chain_rules(const BridgePlan &plan) {
  const NetworkChains chains(plan);
  const auto bridge = quoted(plan.options.bridge);
  const auto rule = [&](const std::string &chain, const std::string &body) {
    return std::string("add rule ") + kTable + " " + chain + " " + body + "\n";
  };
  std::string out;
  if (plan.masquerade()) {
    out += rule(chains.post, "oifname != " + bridge + " masquerade");
  }
  if (plan.internal) {
    // Before the published-port accept: not even a DNATed packet leaves.
    out += rule(chains.fwd_in, "oifname != " + bridge + " drop");
    out += rule(chains.fwd_out, "iifname != " + bridge + " drop");
    return out;
  }
  if (plan.options.isolate) {
    // Both directions, so isolation holds even when the other network
    // does not ask for it; a published port stays reachable, as in Docker.
    out += rule(chains.fwd_in, "oifname @bridges oifname != " + bridge + " ct status != dnat drop");
    out += rule(chains.fwd_out, "iifname @bridges iifname != " + bridge + " drop");
  }
  // From outside berth's bridges only published ports (accepted before the
  // dispatch, once DNATed) and replies: a neighbour routing at this host
  // must not reach a container's address directly.
  out += rule(chains.fwd_out, "iifname != @bridges drop");
  return out;
}

// A JSON key or value part as nft writes it: strings bare, numbers decimal.
std::string part_text(const nlohmann::json &part) {
  return part.is_string() ? part.get<std::string>() : part.dump();
}

std::vector<std::string> parts_of(const nlohmann::json &value) {
  std::vector<std::string> parts;
  if (value.is_object() && value.contains("concat") && value["concat"].is_array()) {
    for (const auto &part : value["concat"]) {
      parts.push_back(part_text(part));
    }
  } else {
    parts.push_back(part_text(value));
  }
  return parts;
}

std::string joined(const std::vector<std::string> &parts) {
  std::string out;
  for (const auto &part : parts) {
    out += (out.empty() ? "" : " . ") + part;
  }
  return out;
}

// The table, its sets and maps, with nothing in them.
std::string declarations() {
  static constexpr std::array kObjects = {
      "table ip berth",
      "set ip berth bridges { type ifname; }",
      "set ip berth subnets { type ipv4_addr; flags interval; }",
      "map ip berth ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }",
      "map ip berth ports_ip { type ipv4_addr . inet_proto . inet_service : "
      "ipv4_addr . inet_service; }",
      "map ip berth post_nets { type ifname : verdict; }",
      "map ip berth fwd_in { type ifname : verdict; }",
      "map ip berth fwd_out { type ifname : verdict; }",
  };
  std::string out;
  for (const char *object : kObjects) {
    out += std::string("add ") + object + "\n";
  }
  return out;
}

} // namespace

std::string base_rules() {
  std::string out = declarations();
  // Before DNAT: a packet for 127.0.0.0/8 from anywhere but this host (a
  // container with CAP_NET_RAW through the bridge, where route_localnet is
  // on; a neighbour routing 127.0.0.1 at us) reaches neither the host's
  // loopback services nor a port published on 127.0.0.1 (CVE-2020-8558).
  // Replies of the host's own loopback connections to containers are not
  // for 127/8 until the NAT hook after this one.
  out += "add chain ip berth localnet { type filter hook prerouting priority -150; }\n"
         "flush chain ip berth localnet\n"
         "add rule ip berth localnet iifname != \"lo\" ip daddr 127.0.0.0/8 drop\n";
  out += "add chain ip berth prerouting { type nat hook prerouting priority dstnat; }\n"
         // output: `curl 127.0.0.1:PORT` on the host itself.
         "add chain ip berth output { type nat hook output priority -100; }\n"
         "add chain ip berth postrouting { type nat hook postrouting priority srcnat; }\n"
         "add chain ip berth forward { type filter hook forward priority filter; }\n"
         "flush chain ip berth prerouting\n"
         "flush chain ip berth output\n"
         "flush chain ip berth postrouting\n"
         "flush chain ip berth forward\n";
  // fib daddr type local: only packets addressed to this host are published
  // ports; ports_ip first, so that a port published on one address wins.
  for (const char *chain : {"prerouting", "output"}) {
    for (const char *map : {"ip daddr . meta l4proto . th dport map @ports_ip",
                            "meta l4proto . th dport map @ports_any"}) {
      out.append("add rule ip berth ").append(chain).append(" fib daddr type local dnat ip to ");
      out.append(map).append("\n");
    }
  }
  // Hairpin: a container reaching a published port of its own network must
  // see the reply come from the host, not straight from its neighbour. The
  // match is on the source subnet, not on iifname: with br_netfilter
  // loaded, a bridged packet reaches this hook with no input interface.
  out += "add rule ip berth postrouting ct status dnat oifname @bridges ip saddr @subnets "
         "masquerade\n"
         // Host loopback -> container: 127/8 cannot leave the host as a source.
         "add rule ip berth postrouting oifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
         "add rule ip berth postrouting iifname vmap @post_nets\n"
         // Replies first; then what leaves a network (an internal one lets
         // nothing out, DNATed or not); then published ports; then what
         // enters a network.
         "add rule ip berth forward ct state established,related accept\n"
         "add rule ip berth forward iifname vmap @fwd_in\n"
         "add rule ip berth forward ct status dnat accept\n"
         "add rule ip berth forward oifname vmap @fwd_out\n";
  return out;
}

std::string network_rules(const BridgePlan &plan) {
  const NetworkChains chains(plan);
  std::string out;
  for (const auto &chain : chains.all()) {
    out += std::string("add chain ") + kTable + " " + chain + "\n";
  }
  for (const auto &chain : chains.all()) {
    out += std::string("flush chain ") + kTable + " " + chain + "\n";
  }
  out += chain_rules(plan);
  for (const auto &[map, verdict] : dispatch_entries(plan)) {
    out += element("add", map, quoted(plan.options.bridge), verdict);
  }
  out += element("add", "subnets", plan.subnet.str());
  return out;
}

std::string dispatch_chain(const BridgePlan &plan) {
  return NetworkChains(plan).post;
}

std::string dispatched_to(const nlohmann::json &listing, const std::string &bridge) {
  for (const auto &entry : listing.value("nftables", nlohmann::json::array())) {
    if (!entry.contains("map") || !entry["map"].contains("elem")) {
      continue;
    }
    for (const auto &pair : entry["map"]["elem"]) {
      if (pair.is_array() && pair.size() == 2 && pair[0] == bridge) {
        return pair[1].value(nlohmann::json::json_pointer("/jump/target"), "");
      }
    }
  }
  return {};
}

std::string remove_network_rules(const BridgePlan &plan) {
  const NetworkChains chains(plan);
  std::string out;
  // The chains must exist for the jumps below to parse, even when gone.
  for (const auto &chain : chains.all()) {
    out += std::string("add chain ") + kTable + " " + chain + "\n";
  }
  for (const auto &[map, verdict] : dispatch_entries(plan)) {
    out += element("add", map, quoted(plan.options.bridge), verdict);
    out += element("delete", map, quoted(plan.options.bridge));
  }
  if (plan.pooled) {
    out += element("add", "subnets", plan.subnet.str());
    out += element("delete", "subnets", plan.subnet.str());
  }
  for (const auto &chain : chains.all()) {
    out += std::string("flush chain ") + kTable + " " + chain + "\n";
    out += std::string("delete chain ") + kTable + " " + chain + "\n";
  }
  return out;
}

sdk::Result<std::vector<PortElement>> port_elements(const std::vector<sdk::PortMapping> &ports,
                                                    sdk::Ipv4 address) {
  std::vector<PortElement> out;
  for (const auto &port : ports) {
    const auto published = std::to_string(port.host_port) + "/" + port.protocol;
    if (port.protocol != "tcp" && port.protocol != "udp") {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "protocol '" + port.protocol + "' cannot be published; use tcp or udp",
                             "port " + published);
    }
    if (port.host_port == 0 || port.container_port == 0) {
      return sdk::make_error(sdk::Errc::invalid_argument, "port 0 cannot be published",
                             "port " + published);
    }
    PortElement element{"ports_any", port.protocol + " . " + std::to_string(port.host_port),
                        address.str() + " . " + std::to_string(port.container_port)};
    if (!port.host_ip.empty() && port.host_ip != "0.0.0.0") {
      const auto host = sdk::Ipv4::parse(port.host_ip);
      if (!host) {
        return sdk::make_error(sdk::Errc::invalid_argument,
                               "host address '" + port.host_ip +
                                   "' is not IPv4; the bridge driver publishes IPv4 only",
                               "port " + published);
      }
      element.map = "ports_ip";
      element.key = host->str() + " . " + element.key;
    }
    const bool seen = std::any_of(out.begin(), out.end(), [&](const PortElement &other) {
      return other.map == element.map && other.key == element.key;
    });
    if (!seen) {
      out.push_back(std::move(element));
    }
  }
  return out;
}

std::string add_elements(const std::vector<PortElement> &elements) {
  std::string out;
  for (const auto &e : elements) {
    out += element("add", e.map, e.key, e.value);
  }
  return out;
}

std::string remove_elements(const std::vector<PortElement> &elements) {
  std::string out;
  for (const auto &e : elements) {
    out += element("add", e.map, e.key, e.value);
    out += element("delete", e.map, e.key);
  }
  return out;
}

std::vector<std::pair<PortElement, sdk::Ipv4>> elements_of(const nlohmann::json &listing,
                                                           const std::string &map) {
  std::vector<std::pair<PortElement, sdk::Ipv4>> out;
  for (const auto &entry : listing.value("nftables", nlohmann::json::array())) {
    if (!entry.contains("map") || !entry["map"].contains("elem")) {
      continue;
    }
    for (const auto &pair : entry["map"]["elem"]) {
      if (!pair.is_array() || pair.size() != 2) {
        continue; // an element with timeouts or counters: never one of ours
      }
      const auto value = parts_of(pair[1]);
      const auto target = value.empty() ? std::nullopt : sdk::Ipv4::parse(value.front());
      if (target) {
        out.emplace_back(PortElement{map, joined(parts_of(pair[0])), joined(value)}, *target);
      }
    }
  }
  return out;
}

} // namespace berth::network
