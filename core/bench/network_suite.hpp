// `berth bench network`: each network driver gets the same two containers'
// worth of sandboxes (namespaces, endpoints, a published port) and the
// built-in traffic generator between them, with loopback beside them.
#pragma once

#include "bench/bench_request.hpp"

namespace berth::bench {

// Attach + detach is quick: this many per --repeat, for a meaningful p99.
inline constexpr int kAttachesPerRepeat = 20;

void run_network_suite(SuiteRun &run, const std::vector<BenchSubject> &subjects);

} // namespace berth::bench
