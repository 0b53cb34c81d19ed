// What a process forked from a host berth process drops before it joins a
// container: after it has joined, container root can see it in /proc, and
// a dumpable copy of berth lets it open /proc/PID/exe (the host binary, the
// CVE-2019-5736 path) and /proc/PID/fd/* (berth.db, the user's files).
#pragma once

#include <vector>

namespace berth::runtime {

// Makes the calling process non-dumpable and closes every fd but keep and
// 0-2 (which the caller's set-up replaces).
// Async-signal-safe apart from keep's sorting, so call it in a forked
// child only with a small keep list. False when the kernel refused.
bool seal_from_host(std::vector<int> keep);

} // namespace berth::runtime
