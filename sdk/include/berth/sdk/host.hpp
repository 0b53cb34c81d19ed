// HostServices: everything a plugin may ask of the core.
//
// A plugin never includes core headers; it reaches the engine only through
// this object, which its factory receives and which outlives the instance.
#pragma once

#include <berth/sdk/result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::sdk::inline v1 {

enum class LogLevel { trace, debug, info, warn, error };

// The core routes these lines into its own logger (level, text/json format),
// tagged with the plugin's name. Keeping spdlog out of the SDK keeps plugin
// builds light and free of a second logging library version.
class Logger {
public:
  virtual ~Logger() = default;
  [[nodiscard]] virtual bool enabled(LogLevel level) const noexcept = 0;
  virtual void log(LogLevel level, std::string_view message) noexcept = 0;

  void debug(std::string_view message) noexcept { log(LogLevel::debug, message); }
  void info(std::string_view message) noexcept { log(LogLevel::info, message); }
  void warn(std::string_view message) noexcept { log(LogLevel::warn, message); }
  void error(std::string_view message) noexcept { log(LogLevel::error, message); }
};

// A small persistent key-value store private to one plugin. Writes are
// durable when the call returns.
class KeyValueStore {
public:
  virtual ~KeyValueStore() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key) noexcept = 0;
  virtual Result<void> put(std::string_view key, std::string_view value) noexcept = 0;
  virtual Result<void> erase(std::string_view key) noexcept = 0;
  // Every (key, value) whose key starts with prefix, in key order.
  virtual Result<std::vector<std::pair<std::string, std::string>>>
  list(std::string_view prefix) noexcept = 0;

  // SDK 1.1. As put and erase, but without waiting for the disk: the write
  // is durable once a later synced write or a checkpoint is. A crash of the
  // operating system may lose the last such writes, never reorder them
  // (if one survives, every write made before it does, the engine's own
  // records included). For records the plugin can reconcile with the
  // files they describe after a reboot; the engine's records are kept the
  // same way. Implementations without a cheaper path simply sync.
  virtual Result<void> put_deferred(std::string_view key, std::string_view value) noexcept {
    return put(key, value);
  }
  virtual Result<void> erase_deferred(std::string_view key) noexcept { return erase(key); }
};

// Address management for network drivers, kept by the core in its store so
// that no two networks overlap and no address is handed out twice, across
// processes and restarts. IPv4; subnets in CIDR notation, addresses without
// a prefix length. Every call is one transaction.
struct AddressPool {
  std::string subnet;  // "10.90.3.0/24"
  std::string gateway; // "10.90.3.1"
};

class Ipam {
public:
  virtual ~Ipam() = default;
  // Claims a subnet for network: the one asked for, or a free /24 from the
  // core's default range when subnet is "". The gateway is the subnet's
  // first host address when gateway is "". Asking again for a network that
  // has a pool returns that pool. already_exists when it overlaps another
  // network's pool, invalid_argument for a malformed subnet or a gateway
  // outside it, unavailable when the default range is used up.
  virtual Result<AddressPool> request_pool(std::string_view network, std::string_view subnet,
                                           std::string_view gateway) noexcept = 0;
  // Gives the pool and every address in it back. Ok when there is none.
  virtual Result<void> release_pool(std::string_view network) noexcept = 0;
  // An address for owner (an endpoint id): address when not "", else the
  // lowest free one (never the network's, broadcast or gateway address).
  // The same owner asking again gets its address back. already_exists when
  // address belongs to another owner; unavailable when the pool is full.
  virtual Result<std::string> request_address(std::string_view network, std::string_view owner,
                                              std::string_view address) noexcept = 0;
  // Ok when owner holds nothing.
  virtual Result<void> release_address(std::string_view network,
                                       std::string_view owner) noexcept = 0;
  // (address, owner) of every address in use in network, for gc.
  virtual Result<std::vector<std::pair<std::string, std::string>>>
  allocations(std::string_view network) noexcept = 0;
};

class HostServices {
public:
  virtual ~HostServices() = default;

  virtual Logger &logger() noexcept = 0;
  // A directory owned by this plugin under the engine's state root; it exists
  // when this call returns.
  virtual Result<std::filesystem::path> state_dir() noexcept = 0;
  virtual KeyValueStore &kv() noexcept = 0;
  // Injected so that tests and simulations can control time.
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const noexcept = 0;
  // True once the user asked the current operation to stop (Ctrl-C). Long
  // loops check it and return Errc::cancelled.
  [[nodiscard]] virtual bool cancelled() const noexcept = 0;
  // Shared by every plugin of the engine: subnets and addresses.
  virtual Ipam &ipam() noexcept = 0;
};

} // namespace berth::sdk::inline v1
