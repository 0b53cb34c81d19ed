// The engine's IPAM: subnets per network and addresses per endpoint, kept in
// root/berth.db so that every berth process and every plugin sees the same
// claims, and a claim survives restarts.
#pragma once

#include <berth/sdk/host.hpp>

#include <filesystem>
#include <memory>
#include <mutex>

namespace berth {

class Database;

// Where subnets come from when a network asks for none: /24s of this range,
// skipping those that overlap another network or an address of this host.
inline constexpr const char *kDefaultAddressRange = "10.90.0.0/16";
inline constexpr int kDefaultSubnetPrefix = 24;

class SqliteIpam final : public sdk::Ipam {
public:
  explicit SqliteIpam(std::filesystem::path state_root);
  ~SqliteIpam() override;
  SqliteIpam(const SqliteIpam &) = delete;
  SqliteIpam &operator=(const SqliteIpam &) = delete;
  SqliteIpam(SqliteIpam &&) = delete;
  SqliteIpam &operator=(SqliteIpam &&) = delete;

  sdk::Result<sdk::AddressPool> request_pool(std::string_view network, std::string_view subnet,
                                             std::string_view gateway) noexcept override;
  sdk::Result<void> release_pool(std::string_view network) noexcept override;
  sdk::Result<std::string> request_address(std::string_view network, std::string_view owner,
                                           std::string_view address) noexcept override;
  sdk::Result<void> release_address(std::string_view network,
                                    std::string_view owner) noexcept override;
  sdk::Result<std::vector<std::pair<std::string, std::string>>>
  allocations(std::string_view network) noexcept override;

private:
  Database &db();

  std::filesystem::path state_root_;
  std::mutex mutex_;
  std::unique_ptr<Database> db_;
};

} // namespace berth
