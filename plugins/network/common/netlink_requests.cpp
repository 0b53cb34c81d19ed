// The rtnetlink messages the drivers send, one builder each.
#include "common/mac.hpp"
#include "common/netlink.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

namespace berth::network {
namespace {

ifinfomsg *put_ifinfo(nlmsghdr *message, int index = 0, unsigned up = 0) {
  auto *info = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(message, sizeof(ifinfomsg)));
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = index;
  info->ifi_flags = up;
  info->ifi_change = up;
  return info;
}

void put_mac(nlmsghdr *message, std::uint16_t type, const std::string &text) {
  if (auto mac = parse_mac(text)) {
    mnl_attr_put(message, type, mac->size(), mac->data());
  }
}

void put_u32(nlmsghdr *message, std::uint16_t type, int value) {
  mnl_attr_put_u32(message, type, static_cast<std::uint32_t>(value));
}

} // namespace

Request::Request(std::uint16_t type, std::uint16_t flags, const char *call, std::string context)
    : call_(call), context_(std::move(context)) {
  auto *header = mnl_nlmsg_put_header(buffer_.data());
  header->nlmsg_type = type;
  header->nlmsg_flags = flags;
}

nlmsghdr *Request::message() noexcept {
  return reinterpret_cast<nlmsghdr *>(buffer_.data());
}

const nlmsghdr *Request::message() const noexcept {
  return reinterpret_cast<const nlmsghdr *>(buffer_.data());
}

namespace rtnl {

Request new_bridge(const std::string &name, int mtu, const std::string &mac) {
  Request request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "create bridge", name);
  auto *message = request.message();
  put_ifinfo(message, 0, IFF_UP);
  mnl_attr_put_strz(message, IFLA_IFNAME, name.c_str());
  put_u32(message, IFLA_MTU, mtu);
  put_mac(message, IFLA_ADDRESS, mac);
  auto *linkinfo = mnl_attr_nest_start(message, IFLA_LINKINFO);
  mnl_attr_put_strz(message, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(message, linkinfo);
  return request;
}

Request new_veth(const VethSpec &spec) {
  Request request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "create veth",
                  spec.host_name + " (peer " + spec.peer_name + ")");
  auto *message = request.message();
  put_ifinfo(message, 0, IFF_UP);
  mnl_attr_put_strz(message, IFLA_IFNAME, spec.host_name.c_str());
  put_u32(message, IFLA_MTU, spec.mtu);
  if (spec.master > 0) {
    put_u32(message, IFLA_MASTER, spec.master);
  }
  auto *linkinfo = mnl_attr_nest_start(message, IFLA_LINKINFO);
  mnl_attr_put_strz(message, IFLA_INFO_KIND, "veth");
  auto *infodata = mnl_attr_nest_start(message, IFLA_INFO_DATA);
  auto *peer = mnl_attr_nest_start(message, VETH_INFO_PEER);
  // The peer's attributes follow its own ifinfomsg inside the nest.
  put_ifinfo(message);
  mnl_attr_put_strz(message, IFLA_IFNAME, spec.peer_name.c_str());
  put_u32(message, IFLA_MTU, spec.mtu);
  put_mac(message, IFLA_ADDRESS, spec.peer_mac);
  if (spec.peer_netns_fd >= 0) {
    put_u32(message, IFLA_NET_NS_FD, spec.peer_netns_fd);
  }
  mnl_attr_nest_end(message, peer);
  mnl_attr_nest_end(message, infodata);
  mnl_attr_nest_end(message, linkinfo);
  return request;
}

Request link_up(int index, const std::string &name) {
  Request request(RTM_NEWLINK, 0, "set link up", name);
  put_ifinfo(request.message(), index, IFF_UP);
  if (index == 0) {
    mnl_attr_put_strz(request.message(), IFLA_IFNAME, name.c_str());
  }
  return request;
}

Request hairpin(const std::string &name) {
  Request request(RTM_NEWLINK, 0, "set hairpin mode", name);
  auto *message = request.message();
  put_ifinfo(message);
  mnl_attr_put_strz(message, IFLA_IFNAME, name.c_str());
  auto *linkinfo = mnl_attr_nest_start(message, IFLA_LINKINFO);
  mnl_attr_put_strz(message, IFLA_INFO_SLAVE_KIND, "bridge");
  auto *port = mnl_attr_nest_start(message, IFLA_INFO_SLAVE_DATA);
  mnl_attr_put_u8(message, IFLA_BRPORT_MODE, 1);
  mnl_attr_nest_end(message, port);
  mnl_attr_nest_end(message, linkinfo);
  return request;
}

Request delete_link(const std::string &name) {
  Request request(RTM_DELLINK, 0, "delete link", name);
  put_ifinfo(request.message());
  mnl_attr_put_strz(request.message(), IFLA_IFNAME, name.c_str());
  return request;
}

Request new_address(int index, sdk::Ipv4 address, int prefix, const std::string &name) {
  Request request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, "add address",
                  name + " " + address.str() + "/" + std::to_string(prefix));
  auto *message = request.message();
  auto *ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(message, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(prefix);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<unsigned>(index);
  const std::uint32_t raw = htonl(address.value);
  mnl_attr_put_u32(message, IFA_LOCAL, raw);
  mnl_attr_put_u32(message, IFA_ADDRESS, raw);
  return request;
}

Request new_default_route(int index, sdk::Ipv4 gateway, const std::string &name) {
  Request request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, "add default route",
                  "via " + gateway.str() + " dev " + name);
  auto *message = request.message();
  auto *rtm = static_cast<rtmsg *>(mnl_nlmsg_put_extra_header(message, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(message, RTA_GATEWAY, htonl(gateway.value));
  put_u32(message, RTA_OIF, index);
  return request;
}

Request get_link(const std::string &name) {
  Request request(RTM_GETLINK, 0, "get link", name);
  put_ifinfo(request.message());
  mnl_attr_put_strz(request.message(), IFLA_IFNAME, name.c_str());
  mnl_attr_put_u32(request.message(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return request;
}

Request dump_links(int master) {
  Request request(RTM_GETLINK, NLM_F_DUMP, "list links", "rtnetlink");
  put_ifinfo(request.message());
  mnl_attr_put_u32(request.message(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  if (master > 0) {
    // The kernel filters the dump by master since 4.x; Netlink::links
    // filters again for older ones, which ignore the attribute.
    put_u32(request.message(), IFLA_MASTER, master);
  }
  return request;
}

} // namespace rtnl
} // namespace berth::network
