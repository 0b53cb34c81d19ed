#include "sched/quantity.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

namespace berth {
namespace {

// Quantities beyond this are typos; they must not overflow int64 sums.
constexpr double kLargestQuantity = 1e17;

std::optional<std::int64_t> checked(double value) {
  if (value > kLargestQuantity) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::llround(value));
}

// A non-negative decimal number followed by suffix; nullopt if malformed.
std::optional<double> number_before(std::string_view text, std::size_t suffix_length) {
  if (text.size() <= suffix_length) {
    return std::nullopt;
  }
  const std::string digits(text.substr(0, text.size() - suffix_length));
  char *end = nullptr;
  const double value = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size() || !std::isfinite(value) || value < 0 ||
      digits.find_first_not_of("0123456789.") != std::string::npos) {
    return std::nullopt;
  }
  return value;
}

} // namespace

std::optional<std::int64_t> parse_cpu_millis(std::string_view text) {
  if (!text.empty() && text.back() == 'm') {
    auto millis = number_before(text, 1);
    if (!millis || std::floor(*millis) != *millis) {
      return std::nullopt;
    }
    return checked(*millis);
  }
  auto cores = number_before(text, 0);
  if (!cores) {
    return std::nullopt;
  }
  return checked(*cores * 1000);
}

std::optional<std::int64_t> parse_bytes(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 10> kSuffixes = {{
      {"Ki", 1024.0},
      {"Mi", 1024.0 * 1024},
      {"Gi", 1024.0 * 1024 * 1024},
      {"Ti", 1024.0 * 1024 * 1024 * 1024},
      {"Pi", 1024.0 * 1024 * 1024 * 1024 * 1024},
      {"k", 1e3},
      {"M", 1e6},
      {"G", 1e9},
      {"T", 1e12},
      {"P", 1e15},
  }};
  for (const auto &[suffix, factor] : kSuffixes) {
    if (text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
      auto value = number_before(text, suffix.size());
      return value ? checked(*value * factor) : std::nullopt;
    }
  }
  auto value = number_before(text, 0);
  if (!value || std::floor(*value) != *value) {
    return std::nullopt;
  }
  return checked(*value);
}

} // namespace berth
