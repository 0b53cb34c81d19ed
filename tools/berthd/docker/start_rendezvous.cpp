#include "docker/start_rendezvous.hpp"

#include <algorithm>

namespace berth::berthd {

void StartTicket::fulfil(Handoff handoff) {
  {
    const std::lock_guard lock(mutex_);
    handoff_ = std::move(handoff);
  }
  ready_.notify_all();
}

std::optional<Handoff> StartTicket::wait_for(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, limit, [this] { return handoff_.has_value(); })) {
    return std::nullopt;
  }
  return std::exchange(handoff_, std::nullopt);
}

void tell_exit(const StartTickets &listeners, std::optional<int> exit_code) {
  for (const auto &listener : listeners) {
    listener->fulfil({sdk::UniqueFd(), exit_code, {}});
  }
}

std::shared_ptr<StartTicket> StartRendezvous::expect(const std::string &id,
                                                     StartTicket::Kind kind) {
  auto ticket = std::make_shared<StartTicket>(kind);
  const std::lock_guard lock(mutex_);
  waiting_[id].push_back(ticket);
  return ticket;
}

StartTickets StartRendezvous::take_all(const std::string &id) {
  const std::lock_guard lock(mutex_);
  const auto found = waiting_.find(id);
  if (found == waiting_.end()) {
    return {};
  }
  auto tickets = std::move(found->second);
  waiting_.erase(found);
  return tickets;
}

std::optional<Handoff> StartRendezvous::withdraw(const std::string &id,
                                                 const std::shared_ptr<StartTicket> &ticket) {
  {
    const std::lock_guard lock(mutex_);
    if (const auto found = waiting_.find(id); found != waiting_.end()) {
      auto &queue = found->second;
      queue.erase(std::remove(queue.begin(), queue.end(), ticket), queue.end());
      if (queue.empty()) {
        waiting_.erase(found);
      }
    }
  }
  // Start may have taken it just before: what it handed over is ours now.
  return ticket->wait_for(std::chrono::milliseconds(0));
}

} // namespace berth::berthd
