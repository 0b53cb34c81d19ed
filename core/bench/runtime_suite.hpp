// `berth bench runtime`: each isolation backend the stack names runs the
// same container, the spec `berth run --network none` would give it: one
// /bin/true at a time, then many started at once.
#pragma once

#include "bench/bench_request.hpp"

namespace berth::bench {

void run_runtime_suite(SuiteRun &run, const std::vector<BenchSubject> &subjects);

} // namespace berth::bench
