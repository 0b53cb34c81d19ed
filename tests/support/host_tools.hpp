// What this host has for the tests that need a runtime binary or crun's
// hugetlb workaround (Debian's crun 1.8.1 on a cgroup-v1 hybrid host).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

namespace berth::testing {

// An executable of that name in the usual system directories.
inline bool installed(const std::string &name) {
  for (const char *dir : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin"}) {
    if (::access((std::filesystem::path(dir) / name).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

// The hugetlb controller is bound to a v1 hierarchy in this mount namespace.
inline bool hugetlb_on_v1() {
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    if (line.find(" cgroup ") != std::string::npos && line.find("hugetlb") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Cgroups of the hugetlb controller (/proc/cgroups), 1 when only the root.
inline int hugetlb_cgroup_count() {
  std::ifstream cgroups("/proc/cgroups");
  cgroups.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  std::string name;
  int hierarchy = 0;
  int count = 0;
  int enabled = 0;
  while (cgroups >> name >> hierarchy >> count >> enabled) {
    if (name == "hugetlb") {
      return count;
    }
  }
  return 1;
}

} // namespace berth::testing
