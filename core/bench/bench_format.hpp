// Internal to core/bench: what both halves of the report need, the data
// forms (bench_report.cpp) and the rendered ones (bench_render.cpp).
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

} // namespace berth::bench
