// Ethernet addresses as the drivers write them: six lower-case hex octets
// separated by colons.
#pragma once

#include <berth/sdk/ipv4.hpp>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::network {

using Mac = std::array<std::uint8_t, 6>;

// "02:42:0a:58:00:02" (either case); nullopt for anything else.
inline std::optional<Mac> parse_mac(std::string_view text) noexcept {
  Mac mac{};
  if (text.size() != 17) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < mac.size(); ++i) {
    const auto *begin = text.data() + (i * 3);
    if (i > 0 && begin[-1] != ':') {
      return std::nullopt;
    }
    auto [end, error] = std::from_chars(begin, begin + 2, mac[i], 16);
    if (error != std::errc{} || end != begin + 2) {
      return std::nullopt;
    }
  }
  return mac;
}

inline std::string format_mac(const Mac &mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto octet : mac) {
    if (!out.empty()) {
      out += ':';
    }
    out += kHex[octet >> 4U];
    out += kHex[octet & 0xFU];
  }
  return out;
}

// A locally administered unicast address holding the IPv4 address, as
// Docker derives them (02:42:a:b:c:d): unique wherever the address is, and
// the same again after a restart, so neighbours' ARP caches stay right.
inline Mac mac_for(sdk::Ipv4 address) noexcept {
  const auto v = address.value;
  return Mac{0x02,
             0x42,
             static_cast<std::uint8_t>(v >> 24U),
             static_cast<std::uint8_t>(v >> 16U),
             static_cast<std::uint8_t>(v >> 8U),
             static_cast<std::uint8_t>(v)};
}

} // namespace berth::network
