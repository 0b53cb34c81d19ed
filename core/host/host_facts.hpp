// Facts about the machine that decide which drivers can run here.
#pragma once

#include <cstdint>
#include <string>

namespace berth {

struct HostFacts {
  std::string kernel;       // uname -r
  std::string architecture; // uname -m
  unsigned cpus = 0;
  std::uint64_t memory_bytes = 0;
  bool overlayfs = false; // listed in /proc/filesystems
  std::string cgroup;     // "v2", "v1 (hybrid: v2 at /sys/fs/cgroup/unified)" or "v1"
  bool seccomp = false;   // the kernel offers seccomp filters
};

HostFacts probe_host();

} // namespace berth
