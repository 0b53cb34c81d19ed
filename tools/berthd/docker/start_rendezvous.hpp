// Docker clients attach and wait before they start: `docker run` sends
// attach, then wait, then start, each on its own connection. Neither can
// reach a monitor that does not exist yet, so each leaves a ticket here.
// Start takes the tickets, starts the container attached (the program waits
// for that connection, so no output and no exit is missed) and hands the
// connection to one ticket, its owner: the attach's relay, or else a wait.
// The owner reads the exit frame and tells the other waits the exit code,
// so a --rm container that is gone a moment later still reports it.
#pragma once

#include <berth/sdk/unique_fd.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace berth::berthd {

class StartTicket;
using StartTickets = std::vector<std::shared_ptr<StartTicket>>;

// What a ticket receives once its container started (or failed to).
struct Handoff {
  sdk::UniqueFd connection;     // the monitor connection, for the owner
  std::optional<int> exit_code; // for a wait the owner told; unknown if unset
  StartTickets exit_listeners;  // the owner tells these the exit code
};

class StartTicket {
public:
  enum class Kind { attach, wait };
  explicit StartTicket(Kind kind) : kind_(kind) {}

  [[nodiscard]] Kind kind() const { return kind_; }
  void fulfil(Handoff handoff);
  // The handoff, once given; nullopt while none came within limit.
  std::optional<Handoff> wait_for(std::chrono::milliseconds limit);

private:
  Kind kind_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<Handoff> handoff_;
};

// Tells each listener the exit code (nullopt: unknown; they look it up).
void tell_exit(const StartTickets &listeners, std::optional<int> exit_code);

class StartRendezvous {
public:
  std::shared_ptr<StartTicket> expect(const std::string &id, StartTicket::Kind kind);
  // Every ticket waiting for id, oldest first, taken out.
  StartTickets take_all(const std::string &id);
  // The ticket's client gave up, or found the container started by someone
  // else: start no longer hands it anything. Returns a handoff that came
  // meanwhile, which the caller now owns.
  std::optional<Handoff> withdraw(const std::string &id,
                                  const std::shared_ptr<StartTicket> &ticket);

private:
  std::mutex mutex_;
  std::map<std::string, StartTickets> waiting_;
};

} // namespace berth::berthd
