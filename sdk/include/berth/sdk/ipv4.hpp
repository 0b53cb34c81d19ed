// IPv4 addresses and subnets: parsing, formatting and the arithmetic that
// IPAM and network drivers share. Header-only, no allocation beyond strings.
#pragma once

#include <berth/sdk/result.hpp>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sdk::inline v1 {

// An address in host byte order, so that arithmetic and comparison work.
struct Ipv4 {
  std::uint32_t value = 0;

  // Dotted quad, four decimal octets, nothing else ("10.0.0.1").
  static std::optional<Ipv4> parse(std::string_view text) noexcept {
    std::uint32_t out = 0;
    for (int octet = 0; octet < 4; ++octet) {
      if (octet > 0) {
        if (text.empty() || text.front() != '.') {
          return std::nullopt;
        }
        text.remove_prefix(1);
      }
      unsigned part = 0;
      const auto *end = text.data() + text.size();
      auto [next, error] = std::from_chars(text.data(), end, part);
      const auto digits = static_cast<std::size_t>(next - text.data());
      if (error != std::errc{} || part > 255 || digits == 0 || digits > 3 ||
          (digits > 1 && text.front() == '0')) {
        return std::nullopt;
      }
      out = (out << 8U) | part;
      text.remove_prefix(digits);
    }
    if (!text.empty()) {
      return std::nullopt;
    }
    return Ipv4{out};
  }

  [[nodiscard]] std::string str() const {
    return std::to_string(value >> 24U) + "." + std::to_string((value >> 16U) & 0xFFU) + "." +
           std::to_string((value >> 8U) & 0xFFU) + "." + std::to_string(value & 0xFFU);
  }

  friend bool operator==(Ipv4, Ipv4) = default;
  friend auto operator<=>(Ipv4, Ipv4) = default;
};

// A subnet: base address and prefix length; the base has no host bits.
struct Ipv4Subnet {
  Ipv4 base;
  int prefix = 0;

  // "10.0.0.0/24". Host bits set ("10.0.0.1/24") is an error, as Docker's.
  static Result<Ipv4Subnet> parse(std::string_view text) {
    const auto slash = text.find('/');
    auto invalid = [&](const std::string &why) {
      return make_error(Errc::invalid_argument,
                        "invalid subnet '" + std::string(text) + "': " + why +
                            "; write it as ADDRESS/PREFIX, e.g. 10.90.0.0/24",
                        "subnet");
    };
    if (slash == std::string_view::npos) {
      return invalid("no prefix length");
    }
    auto address = Ipv4::parse(text.substr(0, slash));
    if (!address) {
      return invalid("'" + std::string(text.substr(0, slash)) + "' is not an IPv4 address");
    }
    const auto length = text.substr(slash + 1);
    int prefix = -1;
    auto [next, error] = std::from_chars(length.data(), length.data() + length.size(), prefix);
    if (error != std::errc{} || next != length.data() + length.size() || length.empty() ||
        prefix < 0 || prefix > 32) {
      return invalid("the prefix length must be a number from 0 to 32");
    }
    Ipv4Subnet subnet{*address, prefix};
    if (subnet.network() != *address) {
      return invalid("host bits are set; did you mean " + subnet.str() + "?");
    }
    return subnet;
  }

  [[nodiscard]] std::uint32_t mask() const noexcept {
    return prefix == 0 ? 0U : ~std::uint32_t{0} << static_cast<unsigned>(32 - prefix);
  }
  [[nodiscard]] Ipv4 network() const noexcept { return Ipv4{base.value & mask()}; }
  [[nodiscard]] Ipv4 broadcast() const noexcept { return Ipv4{network().value | ~mask()}; }
  [[nodiscard]] std::uint64_t size() const noexcept {
    return std::uint64_t{1} << static_cast<unsigned>(32 - prefix);
  }
  [[nodiscard]] bool contains(Ipv4 address) const noexcept {
    return (address.value & mask()) == network().value;
  }
  [[nodiscard]] bool overlaps(const Ipv4Subnet &other) const noexcept {
    return contains(other.network()) || other.contains(network());
  }
  // The first address a host may use: network + 1 (the gateway by default).
  [[nodiscard]] Ipv4 first_host() const noexcept { return Ipv4{network().value + 1}; }
  // An address usable by a host: not the network's, not the broadcast
  // (prefixes up to /30; /31 and /32 have no such addresses to skip).
  [[nodiscard]] bool is_host(Ipv4 address) const noexcept {
    if (!contains(address)) {
      return false;
    }
    return prefix >= 31 || (address != network() && address != broadcast());
  }
  [[nodiscard]] std::string str() const { return network().str() + "/" + std::to_string(prefix); }
  // "10.0.0.5/24": an address with this subnet's prefix length.
  [[nodiscard]] std::string cidr_of(Ipv4 address) const {
    return address.str() + "/" + std::to_string(prefix);
  }

  friend bool operator==(const Ipv4Subnet &, const Ipv4Subnet &) = default;
};

// The subnets of this host's own IPv4 addresses (in the caller's network
// namespace), so that an IPAM choosing a subnet never shadows a network the
// host is already on.
inline std::vector<Ipv4Subnet> host_subnets() {
  std::vector<Ipv4Subnet> subnets;
  ifaddrs *list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return subnets;
  }
  for (auto *item = list; item != nullptr; item = item->ifa_next) {
    if (item->ifa_addr == nullptr || item->ifa_netmask == nullptr ||
        item->ifa_addr->sa_family != AF_INET) {
      continue;
    }
    const auto address = ntohl(reinterpret_cast<sockaddr_in *>(item->ifa_addr)->sin_addr.s_addr);
    const auto mask = ntohl(reinterpret_cast<sockaddr_in *>(item->ifa_netmask)->sin_addr.s_addr);
    subnets.push_back(Ipv4Subnet{Ipv4{address & mask}, __builtin_popcount(mask)});
  }
  ::freeifaddrs(list);
  return subnets;
}

} // namespace berth::sdk::inline v1
