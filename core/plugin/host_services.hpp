// The core's HostServices: what each plugin instance receives.
#pragma once

#include <berth/sdk/host.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

namespace berth {

class Database;
class SqliteIpam;

// Set by the front end's SIGINT handler; every HostServices reads it.
std::atomic<bool> &cancellation_flag() noexcept;

class CoreHostServices final : public sdk::HostServices {
public:
  // state_root is the engine's root directory; the plugin's files go under
  // state_root/plugins/<plugin>, its key-value pairs into state_root/berth.db.
  CoreHostServices(std::string plugin, std::filesystem::path state_root);
  ~CoreHostServices() override;
  CoreHostServices(const CoreHostServices &) = delete;
  CoreHostServices &operator=(const CoreHostServices &) = delete;
  CoreHostServices(CoreHostServices &&) = delete;
  CoreHostServices &operator=(CoreHostServices &&) = delete;

  sdk::Logger &logger() noexcept override { return *logger_; }
  sdk::Result<std::filesystem::path> state_dir() noexcept override;
  sdk::KeyValueStore &kv() noexcept override { return *kv_; }
  [[nodiscard]] std::chrono::system_clock::time_point now() const noexcept override;
  [[nodiscard]] bool cancelled() const noexcept override;
  sdk::Ipam &ipam() noexcept override;

private:
  std::string plugin_;
  std::filesystem::path state_root_;
  std::shared_ptr<sdk::Logger> logger_;
  std::unique_ptr<sdk::KeyValueStore> kv_;
  std::unique_ptr<SqliteIpam> ipam_;
};

} // namespace berth
