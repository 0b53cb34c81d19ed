// An Ipam kept in memory, for tests: TestHost hands one to each plugin.
//
// It keeps the contract of HostServices::ipam (berth/sdk/host.hpp) and makes
// the same choices as berth's own, which keeps its claims in SQLite:
//   - a subnet asked for is /30 or larger (a /31 or /32 leaves no address
//     for a container), or the request fails with invalid_argument;
//   - "" gets the first /24 of 10.90.0.0/16 that overlaps no other pool and
//     no IPv4 address this host (the caller's network namespace) has;
//   - an address asked for must be a host address of the subnet other than
//     the gateway, or the request fails with invalid_argument;
//   - an owner that asks for a different address moves to it.
// Unlike berth's, its claims last as long as the object and are seen only
// by whoever holds it.
#pragma once

#include <berth/sdk/host.hpp>
#include <berth/sdk/ipv4.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::sdk::testing {

class MemoryIpam final : public Ipam {
public:
  // Where subnets come from when a network asks for none.
  static constexpr const char *kDefaultRange = "10.90.0.0/16";
  static constexpr int kDefaultPrefix = 24;

  Result<AddressPool> request_pool(std::string_view network, std::string_view subnet,
                                   std::string_view gateway) noexcept override {
    return guarded([&]() -> Result<AddressPool> {
      if (auto it = pools_.find(network); it != pools_.end()) {
        return it->second.describe();
      }
      auto chosen = subnet.empty() ? choose_subnet() : requested_subnet(subnet);
      if (!chosen.ok()) {
        return std::move(chosen).error();
      }
      Pool pool{*chosen, chosen->first_host(), {}, {}};
      if (!gateway.empty()) {
        auto parsed = Ipv4::parse(gateway);
        if (!parsed || !chosen->is_host(*parsed)) {
          return make_error(Errc::invalid_argument,
                            "gateway '" + std::string(gateway) + "' is not a host address of " +
                                chosen->str() + "; give an address inside the subnet",
                            "gateway");
        }
        pool.gateway = *parsed;
      }
      return pools_.emplace(std::string(network), std::move(pool)).first->second.describe();
    });
  }

  Result<void> release_pool(std::string_view network) noexcept override {
    return guarded([&]() -> Result<void> {
      if (auto it = pools_.find(network); it != pools_.end()) {
        pools_.erase(it);
      }
      return {};
    });
  }

  Result<std::string> request_address(std::string_view network, std::string_view owner,
                                      std::string_view address) noexcept override {
    return guarded([&]() -> Result<std::string> {
      auto it = pools_.find(network);
      if (it == pools_.end()) {
        return make_error(Errc::not_found,
                          "network '" + std::string(network) +
                              "' has no address pool; create the network first",
                          "ipam");
      }
      Pool &pool = it->second;
      const auto held = pool.by_owner.find(owner);
      if (held != pool.by_owner.end() &&
          (address.empty() || Ipv4::parse(address) == Ipv4{held->second})) {
        return Ipv4{held->second}.str();
      }
      auto chosen = address.empty() ? pool.lowest_free() : pool.check_requested(owner, address);
      if (!chosen.ok()) {
        return std::move(chosen).error();
      }
      if (held != pool.by_owner.end()) {
        pool.by_address.erase(held->second);
        pool.by_owner.erase(held);
      }
      pool.by_address.emplace(chosen->value, std::string(owner));
      pool.by_owner.emplace(std::string(owner), chosen->value);
      return chosen->str();
    });
  }

  Result<void> release_address(std::string_view network, std::string_view owner) noexcept override {
    return guarded([&]() -> Result<void> {
      auto it = pools_.find(network);
      if (it == pools_.end()) {
        return {};
      }
      if (auto held = it->second.by_owner.find(owner); held != it->second.by_owner.end()) {
        it->second.by_address.erase(held->second);
        it->second.by_owner.erase(held);
      }
      return {};
    });
  }

  Result<std::vector<std::pair<std::string, std::string>>>
  allocations(std::string_view network) noexcept override {
    return guarded([&]() -> Result<std::vector<std::pair<std::string, std::string>>> {
      std::vector<std::pair<std::string, std::string>> out;
      if (auto it = pools_.find(network); it != pools_.end()) {
        for (const auto &[address, owner] : it->second.by_address) {
          out.emplace_back(Ipv4{address}.str(), owner);
        }
      }
      return out;
    });
  }

private:
  struct Pool {
    Ipv4Subnet subnet;
    Ipv4 gateway;
    std::map<std::uint32_t, std::string> by_address; // in address order, as allocations() lists
    std::map<std::string, std::uint32_t, std::less<>> by_owner;

    [[nodiscard]] AddressPool describe() const { return {subnet.str(), gateway.str()}; }

    [[nodiscard]] bool usable(Ipv4 address) const {
      return subnet.is_host(address) && address != gateway;
    }

    [[nodiscard]] Result<Ipv4> lowest_free() const {
      const std::uint64_t last = subnet.broadcast().value;
      for (std::uint64_t value = subnet.network().value; value <= last; ++value) {
        const Ipv4 candidate{static_cast<std::uint32_t>(value)};
        if (usable(candidate) && !by_address.contains(candidate.value)) {
          return candidate;
        }
      }
      return make_error(Errc::unavailable,
                        "no free address left in " + subnet.str() + " (" +
                            std::to_string(by_address.size()) + " in use, the gateway " +
                            gateway.str() +
                            " besides); remove a container from the network or create one with "
                            "a larger subnet",
                        "ipam");
    }

    [[nodiscard]] Result<Ipv4> check_requested(std::string_view owner,
                                               std::string_view text) const {
      auto address = Ipv4::parse(text);
      if (!address || !usable(*address)) {
        return make_error(Errc::invalid_argument,
                          "address '" + std::string(text) + "' is not a host address of " +
                              subnet.str() + " (the gateway is " + gateway.str() +
                              "); choose one inside the subnet",
                          "address");
      }
      if (auto taken = by_address.find(address->value);
          taken != by_address.end() && taken->second != owner) {
        return make_error(Errc::already_exists,
                          "address " + address->str() +
                              " is already in use on this network; choose another or leave it "
                              "out",
                          "address");
      }
      return *address;
    }
  };

  // Runs body under the lock; what it throws (std::bad_alloc) becomes an
  // error, since no exception may leave a noexcept interface method.
  template <class Body> auto guarded(Body &&body) noexcept -> decltype(body()) {
    try {
      const std::lock_guard lock(mutex_);
      return body();
    } catch (const std::exception &e) {
      return make_error(Errc::internal, e.what(), "ipam");
    }
  }

  Result<Ipv4Subnet> requested_subnet(std::string_view text) const {
    auto subnet = Ipv4Subnet::parse(text);
    if (!subnet.ok()) {
      return subnet;
    }
    if (subnet->prefix > 30) {
      return make_error(Errc::invalid_argument,
                        "subnet " + subnet->str() +
                            " leaves no address for containers; use a prefix of /30 or shorter",
                        "subnet");
    }
    for (const auto &[name, pool] : pools_) {
      if (pool.subnet.overlaps(*subnet)) {
        return make_error(Errc::already_exists,
                          "subnet " + subnet->str() + " overlaps " + pool.subnet.str() +
                              " of network '" + name + "'; choose a different subnet",
                          "subnet");
      }
    }
    return subnet;
  }

  Result<Ipv4Subnet> choose_subnet() const {
    auto taken = sdk::host_subnets();
    for (const auto &[name, pool] : pools_) {
      taken.push_back(pool.subnet);
    }
    const auto range = Ipv4Subnet::parse(kDefaultRange).value();
    const std::uint64_t step = std::uint64_t{1} << static_cast<unsigned>(32 - kDefaultPrefix);
    for (std::uint64_t offset = 0; offset < range.size(); offset += step) {
      const Ipv4Subnet candidate{Ipv4{range.network().value + static_cast<std::uint32_t>(offset)},
                                 kDefaultPrefix};
      if (std::none_of(taken.begin(), taken.end(),
                       [&](const Ipv4Subnet &other) { return other.overlaps(candidate); })) {
        return candidate;
      }
    }
    return make_error(Errc::unavailable,
                      std::string("every /24 of the default range ") + kDefaultRange +
                          " is in use; give the network a subnet",
                      "ipam");
  }

  std::mutex mutex_;
  std::map<std::string, Pool, std::less<>> pools_;
};

} // namespace berth::sdk::testing
