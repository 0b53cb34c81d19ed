#include "support/hugetlb_binding.hpp"

#include "support/host_tools.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace berth::testing {
namespace {

constexpr const char *kMountPoint = "/sys/fs/cgroup/hugetlb";

std::string failure(const std::string &what) {
  return what + " " + kMountPoint + ": " + std::strerror(errno);
}

// The kernel frees an unmounted v1 hierarchy (and gives hugetlb back to v2)
// only if it has no cgroups left at the last umount, and rmdir frees a
// cgroup asynchronously: unmount too early and hugetlb stays bound to v1.
void wait_until_hugetlb_has_only_its_root() {
  for (int tries = 0; tries < 250 && hugetlb_cgroup_count() > 1; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace

HugetlbBinding::~HugetlbBinding() {
  release();
}

std::optional<std::string> HugetlbBinding::bind() {
  if (mounted_ || hugetlb_on_v1()) {
    return std::nullopt;
  }
  // The last user of another binding may remove the directory between our
  // mkdir and our lock; then the locked directory is unlinked: start again.
  for (;;) {
    if (::mkdir(kMountPoint, 0755) != 0 && errno != EEXIST) {
      return failure("cannot mkdir");
    }
    lock_fd_ = ::open(kMountPoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_fd_ < 0) {
      if (errno == ENOENT) {
        continue;
      }
      return failure("cannot open");
    }
    struct stat locked {};
    if (::flock(lock_fd_, LOCK_SH) != 0 || ::fstat(lock_fd_, &locked) != 0) {
      release();
      return failure("cannot lock");
    }
    if (locked.st_nlink > 0) {
      break;
    }
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
  if (::mount("cgroup", kMountPoint, "cgroup", 0, "hugetlb") != 0) {
    const auto reason = failure("cannot mount the hugetlb cgroup hierarchy on");
    release();
    return reason;
  }
  mounted_ = true;
  return std::nullopt;
}

void HugetlbBinding::release() {
  if (lock_fd_ < 0) {
    return;
  }
  const bool last = ::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0;
  if (mounted_) {
    if (last) {
      wait_until_hugetlb_has_only_its_root();
    }
    ::umount2(kMountPoint, MNT_DETACH);
    mounted_ = false;
  }
  if (last) {
    ::rmdir(kMountPoint);
  }
  ::close(lock_fd_);
  lock_fd_ = -1;
}

} // namespace berth::testing
