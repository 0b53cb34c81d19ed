#include "host/host_facts.hpp"

#include <fstream>
#include <sstream>

#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace berth {
namespace {

bool is_cgroup2(const char *path) {
  struct statfs fs {};
  return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

bool filesystem_listed(const std::string &name) {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    // Lines are "nodev\toverlay" or "\text4".
    if (line.size() >= name.size() &&
        line.compare(line.size() - name.size(), name.size(), name) == 0 &&
        (line.size() == name.size() || line[line.size() - name.size() - 1] == '\t')) {
      return true;
    }
  }
  return false;
}

} // namespace

HostFacts probe_host() {
  HostFacts facts;
  struct utsname names {};
  if (uname(&names) == 0) {
    facts.kernel = names.release;
    facts.architecture = names.machine;
  }
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  facts.cpus = cpus > 0 ? static_cast<unsigned>(cpus) : 0;
  struct sysinfo info {};
  if (sysinfo(&info) == 0) {
    facts.memory_bytes = static_cast<std::uint64_t>(info.totalram) * info.mem_unit;
  }
  facts.overlayfs = filesystem_listed("overlay");
  if (is_cgroup2("/sys/fs/cgroup")) {
    facts.cgroup = "v2";
  } else if (is_cgroup2("/sys/fs/cgroup/unified")) {
    facts.cgroup = "v1 (hybrid: v2 at /sys/fs/cgroup/unified)";
  } else {
    facts.cgroup = "v1";
  }
  // PR_GET_SECCOMP fails with EINVAL on kernels built without seccomp.
  facts.seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
  return facts;
}

} // namespace berth
