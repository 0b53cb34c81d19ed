// Internal to core/bench: what every form of the report needs, the data
// forms (bench_report.cpp) and the rendered ones (bench_render.cpp for the
// table and Markdown, bench_svg.cpp for the charts).
#pragma once

#include "bench/bench_report.hpp"

#include <string>

namespace berth::bench {

inline const char *better_name(Better better) {
  return better == Better::lower ? "lower" : "higher";
}

inline const Workload *find_workload(const Report &report, const std::string &id) {
  for (const auto &workload : report.workloads)
    if (workload.id == id)
      return &workload;
  return nullptr;
}

inline std::string workload_label(const Workload &workload) {
  return workload.title + " (" + workload.unit + ")";
}

// Three significant digits, never an exponent: "82.3", "0.412", "15.6", and
// "1234" rather than "1.23e+03", because whole milliseconds are what a reader expects.
std::string format_number(double value);
// At most that many decimals, trailing zeros dropped: 12.50 -> "12.5".
std::string format_decimals(double value, int decimals);

} // namespace berth::bench
