// Order statistics of benchmark samples.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace berth::benchmarks {

// Nearest rank: percentile(values, 0.5) is the median.
inline double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

inline double median(std::vector<double> values) {
  return percentile(std::move(values), 0.5);
}

// Pairwise a[i] - b[i]: samples taken in the same round share the machine's
// load at that moment, which a difference of medians would not.
inline std::vector<double> differences(const std::vector<double> &a, const std::vector<double> &b) {
  std::vector<double> out;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    out.push_back(a[i] - b[i]);
  }
  return out;
}

} // namespace berth::benchmarks
