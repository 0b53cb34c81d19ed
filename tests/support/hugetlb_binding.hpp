// Debian's crun 1.8.1 refuses a cgroup-v1 hybrid host unless the hugetlb
// controller is bound to a v1 hierarchy. A HugetlbBinding binds it in the
// caller's private mount namespace for as long as it lives.
//
// The mount point, /sys/fs/cgroup/hugetlb, is a directory on the host's
// cgroup tmpfs and so is shared by every test process that binds it at the
// same time. Removing a directory detaches every mount on it in every mount
// namespace, which would take the hierarchy away from a test still running
// crun. So each binding holds a shared flock on that directory, and only a
// binding that can take the lock exclusively (the last user) removes it.
#pragma once

#include <optional>
#include <string>

namespace berth::testing {

class HugetlbBinding {
public:
  HugetlbBinding() = default;
  ~HugetlbBinding();
  HugetlbBinding(const HugetlbBinding &) = delete;
  HugetlbBinding &operator=(const HugetlbBinding &) = delete;
  HugetlbBinding(HugetlbBinding &&) = delete;
  HugetlbBinding &operator=(HugetlbBinding &&) = delete;

  // Binds hugetlb unless this mount namespace already has it on v1; the
  // reason it cannot, or nullopt. Call from a private mount namespace.
  std::optional<std::string> bind();
  // Unmounts, and removes the mount point when no other binding uses it.
  // The destructor calls it; safe to repeat.
  void release();

private:
  int lock_fd_ = -1;
  bool mounted_ = false;
};

} // namespace berth::testing
