// `berth bench storage`: the same image through each storage driver, from
// applying its layers to removing a container's root filesystem, and the
// host's own filesystem beside them for sequential I/O.
#pragma once

#include "bench/bench_request.hpp"

namespace berth::bench {

void run_storage_suite(SuiteRun &run, const std::vector<BenchSubject> &subjects);

} // namespace berth::bench
