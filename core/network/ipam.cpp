#include "network/ipam.hpp"

#include "store/sqlite.hpp"

#include <berth/sdk/ipv4.hpp>

#include <algorithm>
#include <optional>
#include <set>

namespace berth {
namespace {

using sdk::Errc;
using sdk::Ipv4;
using sdk::Ipv4Subnet;
using sdk::make_error;

struct Pool {
  Ipv4Subnet subnet;
  Ipv4 gateway;
};

std::optional<Pool> find_pool(Database &db, std::string_view network) {
  auto query = db.prepare("SELECT subnet, gateway FROM ipam_pools WHERE network = ?");
  query.bind(1, network);
  if (!query.step()) {
    return std::nullopt;
  }
  return Pool{Ipv4Subnet::parse(query.text(0)).value(), *Ipv4::parse(query.text(1))};
}

// (network, subnet) of every pool but network's own.
std::vector<std::pair<std::string, Ipv4Subnet>> other_pools(Database &db,
                                                            std::string_view network) {
  std::vector<std::pair<std::string, Ipv4Subnet>> pools;
  auto query = db.prepare("SELECT network, subnet FROM ipam_pools WHERE network != ?");
  query.bind(1, network);
  while (query.step()) {
    pools.emplace_back(query.text(0), Ipv4Subnet::parse(query.text(1)).value());
  }
  return pools;
}

sdk::Result<Ipv4Subnet> choose_subnet(Database &db, std::string_view network) {
  auto taken = sdk::host_subnets();
  for (const auto &[name, subnet] : other_pools(db, network)) {
    taken.push_back(subnet);
  }
  const auto range = Ipv4Subnet::parse(kDefaultAddressRange).value();
  const auto step = std::uint32_t{1} << static_cast<unsigned>(32 - kDefaultSubnetPrefix);
  for (std::uint64_t offset = 0; offset < range.size(); offset += step) {
    Ipv4Subnet candidate{Ipv4{range.network().value + static_cast<std::uint32_t>(offset)},
                         kDefaultSubnetPrefix};
    const bool free = std::none_of(taken.begin(), taken.end(),
                                   [&](const Ipv4Subnet &s) { return s.overlaps(candidate); });
    if (free) {
      return candidate;
    }
  }
  const std::string range_text = kDefaultAddressRange;
  return make_error(Errc::unavailable,
                    "every /24 of berth's default range " + range_text +
                        " is in use; give the network a --subnet",
                    "ipam");
}

sdk::Result<Pool> pool_for_request(Database &db, std::string_view network,
                                   std::string_view subnet_text, std::string_view gateway_text) {
  Ipv4Subnet subnet;
  if (subnet_text.empty()) {
    auto chosen = choose_subnet(db, network);
    if (!chosen.ok()) {
      return std::move(chosen).error();
    }
    subnet = *chosen;
  } else {
    auto parsed = Ipv4Subnet::parse(subnet_text);
    if (!parsed.ok()) {
      return std::move(parsed).error();
    }
    subnet = *parsed;
    if (subnet.prefix > 30) {
      return make_error(Errc::invalid_argument,
                        "subnet " + subnet.str() +
                            " leaves no address for containers; use a prefix of /30 or shorter",
                        "subnet");
    }
    for (const auto &[name, other] : other_pools(db, network)) {
      if (other.overlaps(subnet)) {
        return make_error(Errc::already_exists,
                          "subnet " + subnet.str() + " overlaps " + other.str() +
                              " of another network; choose a different --subnet",
                          "subnet");
      }
    }
  }
  Ipv4 gateway = subnet.first_host();
  if (!gateway_text.empty()) {
    auto parsed = Ipv4::parse(gateway_text);
    if (!parsed || !subnet.is_host(*parsed)) {
      return make_error(Errc::invalid_argument,
                        "gateway '" + std::string(gateway_text) + "' is not a host address of " +
                            subnet.str() + "; give an address inside the subnet",
                        "gateway");
    }
    gateway = *parsed;
  }
  return Pool{subnet, gateway};
}

std::set<std::uint32_t> used_addresses(Database &db, std::string_view network) {
  std::set<std::uint32_t> used;
  auto query = db.prepare("SELECT address FROM ipam_addresses WHERE network = ?");
  query.bind(1, network);
  while (query.step()) {
    used.insert(static_cast<std::uint32_t>(query.integer(0)));
  }
  return used;
}

std::optional<std::string> owner_of(Database &db, std::string_view network, Ipv4 address) {
  auto query = db.prepare("SELECT owner FROM ipam_addresses WHERE network = ? AND address = ?");
  query.bind(1, network).bind(2, static_cast<std::int64_t>(address.value));
  if (!query.step()) {
    return std::nullopt;
  }
  return query.text(0);
}

sdk::Result<Ipv4> lowest_free(Database &db, std::string_view network, const Pool &pool) {
  const auto used = used_addresses(db, network);
  for (auto value = pool.subnet.network().value; value <= pool.subnet.broadcast().value; ++value) {
    const Ipv4 candidate{value};
    if (pool.subnet.is_host(candidate) && candidate != pool.gateway && !used.contains(value)) {
      return candidate;
    }
    if (value == UINT32_MAX) {
      break;
    }
  }
  return make_error(Errc::unavailable,
                    "no free address left in " + pool.subnet.str() + " (" +
                        std::to_string(used.size()) +
                        " in use); remove a container from the network or create one with a "
                        "larger --subnet",
                    "ipam");
}

sdk::Result<Ipv4> requested_address(Database &db, std::string_view network, const Pool &pool,
                                    std::string_view owner, std::string_view text) {
  auto address = Ipv4::parse(text);
  if (!address || !pool.subnet.is_host(*address) || *address == pool.gateway) {
    return make_error(Errc::invalid_argument,
                      "address '" + std::string(text) + "' is not a free host address of " +
                          pool.subnet.str() + " (the gateway is " + pool.gateway.str() +
                          "); choose one inside the subnet",
                      "--ip");
  }
  auto holder = owner_of(db, network, *address);
  if (holder && *holder != owner) {
    return make_error(Errc::already_exists,
                      "address " + address->str() +
                          " is already in use on this network; choose "
                          "another --ip or leave it out",
                      "--ip");
  }
  return *address;
}

template <class F> auto guarded(std::mutex &mutex, F &&body) -> decltype(body()) {
  try {
    std::lock_guard lock(mutex);
    return body();
  } catch (const std::exception &e) {
    return make_error(Errc::io, e.what(), "ipam");
  }
}

} // namespace

SqliteIpam::SqliteIpam(std::filesystem::path state_root) : state_root_(std::move(state_root)) {}

SqliteIpam::~SqliteIpam() = default;

// Opened on first use, so that plugins which never ask for addresses never
// create the database.
Database &SqliteIpam::db() {
  if (!db_) {
    std::filesystem::create_directories(state_root_);
    db_ = std::make_unique<Database>(state_root_ / "berth.db");
    db_->write("CREATE TABLE IF NOT EXISTS ipam_pools (network TEXT PRIMARY KEY, "
               "subnet TEXT NOT NULL, gateway TEXT NOT NULL);"
               "CREATE TABLE IF NOT EXISTS ipam_addresses (network TEXT NOT NULL, "
               "address INTEGER NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (network, address), "
               "UNIQUE (network, owner))");
  }
  return *db_;
}

sdk::Result<sdk::AddressPool> SqliteIpam::request_pool(std::string_view network,
                                                       std::string_view subnet,
                                                       std::string_view gateway) noexcept {
  return guarded(mutex_, [&]() -> sdk::Result<sdk::AddressPool> {
    Transaction transaction(db());
    if (auto existing = find_pool(db(), network)) {
      return sdk::AddressPool{existing->subnet.str(), existing->gateway.str()};
    }
    auto pool = pool_for_request(db(), network, subnet, gateway);
    if (!pool.ok()) {
      return std::move(pool).error();
    }
    db().prepare("INSERT INTO ipam_pools (network, subnet, gateway) VALUES (?, ?, ?)")
        .bind(1, network)
        .bind(2, pool->subnet.str())
        .bind(3, pool->gateway.str())
        .run();
    transaction.commit();
    return sdk::AddressPool{pool->subnet.str(), pool->gateway.str()};
  });
}

sdk::Result<void> SqliteIpam::release_pool(std::string_view network) noexcept {
  return guarded(mutex_, [&]() -> sdk::Result<void> {
    Transaction transaction(db());
    db().prepare("DELETE FROM ipam_addresses WHERE network = ?").bind(1, network).run();
    db().prepare("DELETE FROM ipam_pools WHERE network = ?").bind(1, network).run();
    transaction.commit();
    return {};
  });
}

sdk::Result<std::string> SqliteIpam::request_address(std::string_view network,
                                                     std::string_view owner,
                                                     std::string_view address) noexcept {
  return guarded(mutex_, [&]() -> sdk::Result<std::string> {
    Transaction transaction(db());
    auto pool = find_pool(db(), network);
    if (!pool) {
      return make_error(Errc::not_found, "network has no address pool; create the network first",
                        "ipam");
    }
    auto held = db().prepare("SELECT address FROM ipam_addresses WHERE network = ? AND owner = ?");
    held.bind(1, network).bind(2, owner);
    if (held.step()) {
      const Ipv4 mine{static_cast<std::uint32_t>(held.integer(0))};
      if (address.empty() || Ipv4::parse(address) == mine) {
        return mine.str();
      }
    }
    auto chosen = address.empty() ? lowest_free(db(), network, *pool)
                                  : requested_address(db(), network, *pool, owner, address);
    if (!chosen.ok()) {
      return std::move(chosen).error();
    }
    db().prepare("INSERT OR REPLACE INTO ipam_addresses (network, address, owner) VALUES (?, ?, ?)")
        .bind(1, network)
        .bind(2, static_cast<std::int64_t>(chosen->value))
        .bind(3, owner)
        .run();
    transaction.commit();
    return chosen->str();
  });
}

sdk::Result<void> SqliteIpam::release_address(std::string_view network,
                                              std::string_view owner) noexcept {
  return guarded(mutex_, [&]() -> sdk::Result<void> {
    Transaction transaction(db());
    db().prepare("DELETE FROM ipam_addresses WHERE network = ? AND owner = ?")
        .bind(1, network)
        .bind(2, owner)
        .run();
    transaction.commit();
    return {};
  });
}

sdk::Result<std::vector<std::pair<std::string, std::string>>>
SqliteIpam::allocations(std::string_view network) noexcept {
  return guarded(mutex_, [&]() -> sdk::Result<std::vector<std::pair<std::string, std::string>>> {
    std::vector<std::pair<std::string, std::string>> out;
    auto query = db().prepare(
        "SELECT address, owner FROM ipam_addresses WHERE network = ? ORDER BY address");
    query.bind(1, network);
    while (query.step()) {
      out.emplace_back(Ipv4{static_cast<std::uint32_t>(query.integer(0))}.str(), query.text(1));
    }
    return out;
  });
}

} // namespace berth
