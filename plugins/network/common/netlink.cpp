#include "common/netlink.hpp"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace berth::network {
namespace {

// Room for one read of a link dump: the kernel sizes dump messages after
// the reader's buffer, up to 32 KiB.
constexpr std::size_t kReceiveSize = 32768;

// What one exchange collects while libmnl walks the replies: the errno of
// each request (by sequence number) and the kernel's extended ack text.
struct Exchange {
  void (*on_reply)(const nlmsghdr *, void *) = nullptr;
  void *data = nullptr;
  unsigned first_seq = 0;
  std::vector<int> errors;
  std::vector<std::string> details;
  std::size_t pending = 0;
};

// libmnl's iteration macros rely on C's implicit void* conversion; these
// are the same loops for C++.
template <class Visit>
void for_each_attribute(const nlmsghdr *message, std::size_t offset, Visit visit) {
  const auto *tail = static_cast<const char *>(mnl_nlmsg_get_payload_tail(message));
  for (const auto *attr =
           static_cast<const nlattr *>(mnl_nlmsg_get_payload_offset(message, offset));
       mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char *>(attr)));
       attr = mnl_attr_next(attr)) {
    visit(attr);
  }
}

template <class Visit> void for_each_nested(const nlattr *nest, Visit visit) {
  const auto *tail =
      static_cast<const char *>(mnl_attr_get_payload(nest)) + mnl_attr_get_payload_len(nest);
  for (const auto *attr = static_cast<const nlattr *>(mnl_attr_get_payload(nest));
       mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char *>(attr)));
       attr = mnl_attr_next(attr)) {
    visit(attr);
  }
}

// The text of NLMSGERR_ATTR_MSG, which follows the echoed request unless
// the socket asked for capped acks.
std::string extended_ack(const nlmsghdr *message, const nlmsgerr *error) {
  if ((message->nlmsg_flags & NLM_F_ACK_TLVS) == 0) {
    return {};
  }
  std::size_t offset = sizeof(nlmsgerr);
  if ((message->nlmsg_flags & NLM_F_CAPPED) == 0) {
    offset += error->msg.nlmsg_len - sizeof(nlmsghdr);
  }
  std::string text;
  for_each_attribute(message, offset, [&](const nlattr *attr) {
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG) {
      text = mnl_attr_get_str(attr);
    }
  });
  return text;
}

int on_error(const nlmsghdr *message, void *data) {
  auto &exchange = *static_cast<Exchange *>(data);
  const auto slot = static_cast<std::size_t>(message->nlmsg_seq - exchange.first_seq);
  if (slot >= exchange.errors.size()) {
    return MNL_CB_OK; // not ours to count
  }
  if (message->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
    exchange.errors[slot] = EBADMSG;
  } else {
    const auto *error = static_cast<const nlmsgerr *>(mnl_nlmsg_get_payload(message));
    exchange.errors[slot] = -error->error;
    if (error->error != 0) {
      exchange.details[slot] = extended_ack(message, error);
    }
  }
  return --exchange.pending == 0 ? MNL_CB_STOP : MNL_CB_OK;
}

// The end of a dump (no ack follows it), with an error code when the dump
// failed.
int on_done(const nlmsghdr *message, void *data) {
  auto &exchange = *static_cast<Exchange *>(data);
  if (mnl_nlmsg_get_payload_len(message) >= sizeof(int) && !exchange.errors.empty()) {
    const int status = *static_cast<const int *>(mnl_nlmsg_get_payload(message));
    exchange.errors.front() = status < 0 ? -status : 0;
  }
  exchange.pending = 0;
  return MNL_CB_STOP;
}

int on_data(const nlmsghdr *message, void *data) {
  auto &exchange = *static_cast<Exchange *>(data);
  if (exchange.on_reply != nullptr) {
    exchange.on_reply(message, exchange.data);
  }
  return MNL_CB_OK;
}

LinkInfo parse_link(const nlmsghdr *message) {
  const auto *info = static_cast<const ifinfomsg *>(mnl_nlmsg_get_payload(message));
  LinkInfo link;
  link.index = info->ifi_index;
  link.up = (info->ifi_flags & IFF_UP) != 0;
  for_each_attribute(message, sizeof(ifinfomsg), [&](const nlattr *attr) {
    switch (mnl_attr_get_type(attr)) {
    case IFLA_IFNAME: link.name = mnl_attr_get_str(attr); break;
    case IFLA_MASTER: link.master = static_cast<int>(mnl_attr_get_u32(attr)); break;
    case IFLA_LINKINFO:
      for_each_nested(attr, [&](const nlattr *inner) {
        if (mnl_attr_get_type(inner) == IFLA_INFO_KIND) {
          link.kind = mnl_attr_get_str(inner);
        }
      });
      break;
    default: break;
    }
  });
  return link;
}

// Leaving a container's namespace cannot fail in practice (we hold the fd
// and just had the privilege to enter), but if it did this thread would go
// on configuring the container's namespace as if it were the host's.
// Nothing sane can follow, so stop here rather than corrupt either one.
void return_or_abort(int self_fd) {
  if (::setns(self_fd, CLONE_NEWNET) != 0) {
    std::perror("berth network plugin: setns back to the original network namespace");
    std::abort();
  }
}

} // namespace

Netlink::Netlink(mnl_socket *socket, std::string where)
    : socket_(socket), port_(mnl_socket_get_portid(socket)), where_(std::move(where)) {}

Netlink::Netlink(Netlink &&other) noexcept
    : socket_(std::exchange(other.socket_, nullptr)), port_(other.port_), seq_(other.seq_),
      where_(std::move(other.where_)) {}

Netlink &Netlink::operator=(Netlink &&other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) {
      mnl_socket_close(socket_);
    }
    socket_ = std::exchange(other.socket_, nullptr);
    port_ = other.port_;
    seq_ = other.seq_;
    where_ = std::move(other.where_);
  }
  return *this;
}

Netlink::~Netlink() {
  if (socket_ != nullptr) {
    mnl_socket_close(socket_);
  }
}

sdk::Result<Netlink> Netlink::open() {
  auto *socket = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (socket == nullptr) {
    return sdk::errno_error("socket(NETLINK_ROUTE)", "rtnetlink");
  }
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(socket);
    return sdk::errno_error("bind(NETLINK_ROUTE)", "rtnetlink", err);
  }
  // Best effort: the kernel's own words for an error, without the echoed
  // request. Older kernels lack these and simply give bare errnos.
  int on = 1;
  mnl_socket_setsockopt(socket, NETLINK_EXT_ACK, &on, sizeof(on));
  mnl_socket_setsockopt(socket, NETLINK_CAP_ACK, &on, sizeof(on));
  return Netlink(socket, "");
}

sdk::Result<Netlink> Netlink::open_in(int netns_fd, const std::string &netns_path) {
  UniqueFd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!self.valid()) {
    return sdk::errno_error("open", "/proc/thread-self/ns/net");
  }
  if (::setns(netns_fd, CLONE_NEWNET) != 0) {
    return sdk::errno_error("setns(CLONE_NEWNET)", netns_path);
  }
  auto made = open();
  return_or_abort(self.get());
  if (made.ok()) {
    made->where_ = netns_path;
  }
  return made;
}

sdk::Result<Netlink> Netlink::open_in(const std::string &netns_path) {
  UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) {
    return sdk::errno_error("open network namespace", netns_path);
  }
  return open_in(ns.get(), netns_path);
}

std::string Netlink::where(const std::string &context) const {
  return where_.empty() ? context : context + " in " + where_;
}

std::vector<sdk::Result<void>> Netlink::exchange(std::vector<Request> &requests, ReplyFn on_reply,
                                                 void *data) {
  if (requests.empty()) {
    return {};
  }
  Exchange state{on_reply,
                 data,
                 seq_ + 1,
                 std::vector<int>(requests.size(), 0),
                 std::vector<std::string>(requests.size()),
                 requests.size()};
  std::vector<char> out;
  for (auto &request : requests) {
    auto *message = request.message();
    message->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    message->nlmsg_seq = ++seq_;
    const auto *bytes = reinterpret_cast<const char *>(message);
    out.insert(out.end(), bytes, bytes + message->nlmsg_len);
  }
  const auto failed = [&](sdk::Error error) {
    return std::vector<sdk::Result<void>>(requests.size(), std::move(error));
  };
  if (mnl_socket_sendto(socket_, out.data(), out.size()) < 0) {
    return failed(sdk::errno_error("sendto(netlink)", where(requests.front().context())));
  }
  std::array<mnl_cb_t, NLMSG_MIN_TYPE> control{};
  control[NLMSG_ERROR] = on_error;
  control[NLMSG_DONE] = on_done;
  std::vector<char> buffer(kReceiveSize);
  while (state.pending > 0) {
    const auto n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    // Sequence 0: the replies of a batch carry several numbers; on_error
    // sorts them out.
    if (n < 0 || mnl_cb_run2(buffer.data(), static_cast<std::size_t>(n), 0, port_, on_data, &state,
                             control.data(), control.size()) == MNL_CB_ERROR) {
      return failed(sdk::errno_error("recv(netlink)", where(requests.front().context())));
    }
  }
  std::vector<sdk::Result<void>> results;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (state.errors[i] == 0) {
      results.emplace_back();
      continue;
    }
    auto error =
        sdk::errno_error(requests[i].call(), where(requests[i].context()), state.errors[i]);
    if (state.errors[i] == ENODEV) {
      error.code = sdk::Errc::not_found;
    }
    if (!state.details[i].empty()) {
      error.message += " (" + state.details[i] + ")";
    }
    results.emplace_back(std::move(error));
  }
  return results;
}

std::vector<sdk::Result<void>> Netlink::run(std::vector<Request> requests) {
  return exchange(requests);
}

sdk::Result<void> Netlink::run(Request request) {
  std::vector<Request> one;
  one.push_back(std::move(request));
  return std::move(exchange(one).front());
}

sdk::Result<void> Netlink::delete_link(const std::string &name) {
  auto done = run(rtnl::delete_link(name));
  if (!done.ok() && done.error().code == sdk::Errc::not_found) {
    return {};
  }
  return done;
}

sdk::Result<std::optional<LinkInfo>> Netlink::link(const std::string &name) {
  std::vector<Request> get;
  get.push_back(rtnl::get_link(name));
  std::optional<LinkInfo> found;
  auto keep = [](const nlmsghdr *reply, void *data) {
    *static_cast<std::optional<LinkInfo> *>(data) = parse_link(reply);
  };
  auto done = std::move(exchange(get, keep, &found).front());
  if (!done.ok()) {
    if (done.error().code == sdk::Errc::not_found) {
      return std::optional<LinkInfo>{};
    }
    return std::move(done).error();
  }
  return found;
}

sdk::Result<int> Netlink::index_of(const std::string &name) {
  auto found = link(name);
  if (!found.ok()) {
    return std::move(found).error();
  }
  if (!found->has_value()) {
    return sdk::make_error(sdk::Errc::not_found, "no such network interface", where(name));
  }
  return (*found)->index;
}

sdk::Result<std::vector<LinkInfo>> Netlink::links(int master) {
  std::vector<Request> dump;
  dump.push_back(rtnl::dump_links(master));
  std::vector<LinkInfo> all;
  auto keep = [](const nlmsghdr *reply, void *data) {
    if (reply->nlmsg_type == RTM_NEWLINK) {
      static_cast<std::vector<LinkInfo> *>(data)->push_back(parse_link(reply));
    }
  };
  auto done = std::move(exchange(dump, keep, &all).front());
  if (!done.ok()) {
    return std::move(done).error();
  }
  if (master > 0) {
    std::erase_if(all, [&](const LinkInfo &link) { return link.master != master; });
  }
  return all;
}

} // namespace berth::network
