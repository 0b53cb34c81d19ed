#include "bench/bench_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace berth::bench {
namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  // to_chars, unlike printf, ignores the locale: a report reads the same everywhere.
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  if (error != std::errc{})
    return "?";
  return {buffer, end};
}

std::string strip_trailing_zeros(std::string text) {
  if (text.find('.') == std::string::npos)
    return text;
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.')
    text.pop_back();
  return text == "-0" ? "0" : text;
}

int decimal_magnitude(double value) {
  return static_cast<int>(std::floor(std::log10(value)));
}

} // namespace

std::string format_number(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  if (value == 0)
    return "0";
  const double magnitude = std::abs(value);
  const double scale = std::pow(10.0, 2 - decimal_magnitude(magnitude));
  // Decide the decimals on the rounded value, so that 99.96 becomes "100", not "100.0".
  const double rounded = std::round(magnitude * scale) / scale;
  constexpr int kMaxDecimals = 9;
  const int decimals = std::clamp(2 - decimal_magnitude(rounded), 0, kMaxDecimals);
  return strip_trailing_zeros(fixed(value, decimals));
}

std::string format_decimals(double value, int decimals) {
  return strip_trailing_zeros(fixed(value, decimals));
}

} // namespace berth::bench
