// What the parsers call from the parts of libberth the fuzz build leaves out.
#include "plugin/host_services.hpp"

namespace berth {

// host_services.cpp would bring SQLite, spdlog and IPAM for one flag the
// readers poll to stop early; no harness sets it.
std::atomic<bool> &cancellation_flag() noexcept {
  static std::atomic<bool> flag{false};
  return flag;
}

} // namespace berth
