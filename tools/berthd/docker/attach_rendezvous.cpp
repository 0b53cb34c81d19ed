#include "docker/attach_rendezvous.hpp"

#include <algorithm>

namespace berth::berthd {

void AttachTicket::fulfil(sdk::UniqueFd connection) {
  {
    const std::lock_guard lock(mutex_);
    connection_ = std::move(connection);
    fulfilled_ = true;
  }
  ready_.notify_all();
}

std::optional<sdk::UniqueFd> AttachTicket::wait_for(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, limit, [this] { return fulfilled_; })) {
    return std::nullopt;
  }
  return std::move(connection_);
}

std::shared_ptr<AttachTicket> AttachRendezvous::expect(const std::string &id) {
  auto ticket = std::make_shared<AttachTicket>();
  const std::lock_guard lock(mutex_);
  waiting_[id].push_back(ticket);
  return ticket;
}

std::shared_ptr<AttachTicket> AttachRendezvous::take(const std::string &id) {
  const std::lock_guard lock(mutex_);
  const auto found = waiting_.find(id);
  if (found == waiting_.end()) {
    return nullptr;
  }
  auto ticket = std::move(found->second.front());
  found->second.pop_front();
  if (found->second.empty()) {
    waiting_.erase(found);
  }
  return ticket;
}

void AttachRendezvous::withdraw(const std::string &id,
                                const std::shared_ptr<AttachTicket> &ticket) {
  const std::lock_guard lock(mutex_);
  const auto found = waiting_.find(id);
  if (found == waiting_.end()) {
    return;
  }
  auto &queue = found->second;
  queue.erase(std::remove(queue.begin(), queue.end(), ticket), queue.end());
  if (queue.empty()) {
    waiting_.erase(found);
  }
}

} // namespace berth::berthd
