#include "docker/exec_store.hpp"

#include "util/text.hpp"

namespace berth::berthd {

std::string ExecStore::add(ExecConfig config) {
  auto id = random_hex_id();
  const std::lock_guard lock(mutex_);
  instances_[id] = ExecInstance{id, std::move(config), false, false, 0, std::nullopt};
  return id;
}

std::optional<ExecInstance> ExecStore::get(const std::string &id) const {
  const std::lock_guard lock(mutex_);
  const auto found = instances_.find(id);
  return found == instances_.end() ? std::nullopt : std::optional<ExecInstance>(found->second);
}

bool ExecStore::start(const std::string &id) {
  const std::lock_guard lock(mutex_);
  const auto found = instances_.find(id);
  if (found == instances_.end() || found->second.started) {
    return false;
  }
  found->second.started = true;
  return true;
}

void ExecStore::set_running(const std::string &id, int pid) {
  const std::lock_guard lock(mutex_);
  if (const auto found = instances_.find(id); found != instances_.end()) {
    found->second.running = true;
    found->second.pid = pid;
  }
}

void ExecStore::set_exited(const std::string &id, int exit_code) {
  const std::lock_guard lock(mutex_);
  if (const auto found = instances_.find(id); found != instances_.end()) {
    found->second.running = false;
    found->second.exit_code = exit_code;
  }
}

} // namespace berth::berthd
