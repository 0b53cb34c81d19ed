// Docker clients attach before they start: `docker run` sends attach, then
// wait, then start, each on its own connection. The attach cannot connect to
// a monitor that does not exist yet, so it leaves a ticket here; start finds
// the ticket, starts the container attached (the program waits for the
// attach connection, so no output is lost) and hands the connection over.
#pragma once

#include <berth/sdk/unique_fd.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace berth::berthd {

class AttachTicket {
public:
  // Hands the attach connection over (an invalid fd: the start failed).
  void fulfil(sdk::UniqueFd connection);
  // The connection, once start hands it over; nullopt while it has not
  // within limit.
  std::optional<sdk::UniqueFd> wait_for(std::chrono::milliseconds limit);

private:
  std::mutex mutex_;
  std::condition_variable ready_;
  bool fulfilled_ = false;
  sdk::UniqueFd connection_;
};

class AttachRendezvous {
public:
  // A ticket for an attach waiting for container id to start.
  std::shared_ptr<AttachTicket> expect(const std::string &id);
  // The oldest ticket waiting for id, taken out of the queue; null if none.
  std::shared_ptr<AttachTicket> take(const std::string &id);
  // The attach gave up (its client left): start no longer waits for it.
  void withdraw(const std::string &id, const std::shared_ptr<AttachTicket> &ticket);

private:
  std::mutex mutex_;
  std::map<std::string, std::deque<std::shared_ptr<AttachTicket>>> waiting_;
};

} // namespace berth::berthd
