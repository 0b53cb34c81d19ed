// A small rtnetlink client over libmnl: just the link, address and route
// operations the network drivers need.
//
// Requests are built first (the rtnl:: functions) and then run, one at a
// time or several in one sendmsg: the kernel runs a batch in order and acks
// each request, which saves a round trip per request on the attach path.
//
// A netlink socket stays in the network namespace it was created in, so a
// socket made with open_in(netns) configures that namespace from a thread
// that never stays there: the thread enters the namespace only to create the
// socket.
#pragma once

#include <berth/sdk/unique_fd.hpp>

#include <berth/sdk/ipv4.hpp>
#include <berth/sdk/result.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace berth::network {

using sdk::UniqueFd;

// Every network namespace numbers its loopback interface 1
// (LOOPBACK_IFINDEX), so "lo up" needs no lookup.
inline constexpr int kLoopbackIndex = 1;

struct LinkInfo {
  std::string name;
  int index = 0;
  int master = 0;   // the bridge it is enslaved to; 0 for none
  std::string kind; // "bridge", "veth", ...; "" for a physical device
  bool up = false;  // administratively up (IFF_UP)
};

// One veth pair made by a single RTM_NEWLINK: the host end enslaved and up,
// the peer created directly inside another namespace. Creating the peer in
// place instead of moving it saves the RCU barrier a namespace move costs.
// The peer comes up later, from inside: asking for IFF_UP in the same
// message fails with ENOTCONN, because the kernel configures the peer
// before the two ends are linked.
struct VethSpec {
  std::string host_name;
  int master = 0; // bridge index for the host end
  int mtu = 1500;
  std::string peer_name;
  std::string peer_mac;   // "02:42:0a:58:00:02"; "" lets the kernel choose
  int peer_netns_fd = -1; // the namespace the peer is born in
};

// One rtnetlink message, built but not sent, with what a failure reports:
// "call: strerror" and the object it was about.
class Request {
public:
  Request(std::uint16_t type, std::uint16_t flags, const char *call, std::string context);
  [[nodiscard]] nlmsghdr *message() noexcept;
  [[nodiscard]] const nlmsghdr *message() const noexcept;
  [[nodiscard]] const char *call() const noexcept { return call_; }
  [[nodiscard]] const std::string &context() const noexcept { return context_; }

private:
  alignas(4) std::array<char, 512> buffer_{};
  const char *call_;
  std::string context_;
};

// Interface names given to these are at most 15 characters (IFNAMSIZ - 1);
// the callers check them.
namespace rtnl {
Request new_bridge(const std::string &name, int mtu, const std::string &mac);
Request new_veth(const VethSpec &spec);
Request link_up(int index, const std::string &name);
// Lets the bridge send frames back out of the port they came in by.
// Bridge port settings cannot ride on the RTM_NEWLINK that creates the
// port: the kernel ignores them there.
Request hairpin(const std::string &name);
Request delete_link(const std::string &name);
// address/prefix on index; already_exists when it is there.
Request new_address(int index, sdk::Ipv4 address, int prefix, const std::string &name);
// 0.0.0.0/0 via gateway out of index; already_exists when there is one.
Request new_default_route(int index, sdk::Ipv4 gateway, const std::string &name);
Request get_link(const std::string &name);
// Every link, or with master > 0 those enslaved to it.
Request dump_links(int master);
} // namespace rtnl

class Netlink {
public:
  // A socket in the calling thread's network namespace.
  static sdk::Result<Netlink> open();
  // A socket inside the namespace netns_fd (or the file at netns_path)
  // refers to; the calling thread returns to its own namespace before this
  // returns.
  static sdk::Result<Netlink> open_in(int netns_fd, const std::string &netns_path);
  static sdk::Result<Netlink> open_in(const std::string &netns_path);

  Netlink(Netlink &&other) noexcept;
  Netlink &operator=(Netlink &&other) noexcept;
  Netlink(const Netlink &) = delete;
  Netlink &operator=(const Netlink &) = delete;
  ~Netlink();

  sdk::Result<void> run(Request request);
  // Sends every request in one sendmsg; one result per request, in order.
  // The kernel goes on after a failed request, so each stands alone.
  std::vector<sdk::Result<void>> run(std::vector<Request> requests);

  // Ok when the link is already gone (ENODEV), so that undo can repeat.
  sdk::Result<void> delete_link(const std::string &name);
  // nullopt when there is no link of that name.
  sdk::Result<std::optional<LinkInfo>> link(const std::string &name);
  sdk::Result<int> index_of(const std::string &name);
  // Every link, or only those enslaved to master when master > 0.
  sdk::Result<std::vector<LinkInfo>> links(int master = 0);

private:
  Netlink(mnl_socket *socket, std::string where);

  // Sends requests and reads until each is acked (or, for a dump, until
  // NLMSG_DONE), handing every data reply to on_reply. An error of the
  // exchange itself (a socket error) is returned for every request.
  using ReplyFn = void (*)(const nlmsghdr *reply, void *data);
  std::vector<sdk::Result<void>> exchange(std::vector<Request> &requests,
                                          ReplyFn on_reply = nullptr, void *data = nullptr);
  [[nodiscard]] std::string where(const std::string &context) const;

  mnl_socket *socket_ = nullptr;
  unsigned port_ = 0;
  unsigned seq_ = 0;
  std::string where_; // "" for the caller's namespace, else the netns path
};

} // namespace berth::network
