// The crun tests' hugetlb binding, as several test processes use it at once:
// one process releasing its binding must not take hugetlb away from another
// (the kernel detaches every mount on a removed directory, in every mount
// namespace, and the hierarchy then dies and hugetlb returns to cgroup v2,
// where crun 1.8.1 refuses the host).
#include "support/host_tools.hpp"
#include "support/hugetlb_binding.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace berth::testing {
namespace {

constexpr const char *kUnifiedControllers = "/sys/fs/cgroup/unified/cgroup.controllers";

// Exit codes of a binding process.
constexpr int kBound = 0;
constexpr int kCannotBind = 10;
constexpr int kLostItsMount = 11;

// A process in its own private mount namespace that binds hugetlb, reports
// on ready, waits for a byte on go, checks that its binding is still there,
// releases it and exits with one of the codes above.
class BindingProcess {
public:
  BindingProcess() {
    if (::pipe(ready_) != 0 || ::pipe(go_) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::_exit(run_child());
    }
    ::close(ready_[1]);
    ::close(go_[0]);
  }
  ~BindingProcess() {
    ::close(ready_[0]);
    ::close(go_[1]);
    if (pid_ > 0) {
      (void)finish();
    }
  }
  BindingProcess(const BindingProcess &) = delete;
  BindingProcess &operator=(const BindingProcess &) = delete;
  BindingProcess(BindingProcess &&) = delete;
  BindingProcess &operator=(BindingProcess &&) = delete;

  // True once the child has bound hugetlb.
  bool bound() {
    char answer = 0;
    return pid_ > 0 && ::read(ready_[0], &answer, 1) == 1 && answer == 'b';
  }

  // Lets the child check and release; its exit code.
  int finish() {
    (void)::write(go_[1], "g", 1);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

private:
  int run_child() {
    ::close(ready_[0]);
    ::close(go_[1]);
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return kCannotBind;
    }
    HugetlbBinding binding;
    if (binding.bind() || !hugetlb_on_v1()) {
      return kCannotBind;
    }
    (void)::write(ready_[1], "b", 1);
    char go = 0;
    (void)::read(go_[0], &go, 1);
    return hugetlb_on_v1() ? kBound : kLostItsMount;
  }

  int ready_[2] = {-1, -1};
  int go_[2] = {-1, -1};
  pid_t pid_ = -1;
};

bool hugetlb_on_v2() {
  return read_file(kUnifiedControllers).find("hugetlb") != std::string::npos;
}

TEST(HugetlbBinding, ReleasingOneBindingLeavesTheOthersBound) {
  if (!std::filesystem::exists(kUnifiedControllers) || hugetlb_on_v1()) {
    GTEST_SKIP() << "not a cgroup-v1 hybrid host with hugetlb left on v2";
  }
  BindingProcess first;
  ASSERT_TRUE(first.bound());
  BindingProcess second;
  ASSERT_TRUE(second.bound());

  EXPECT_EQ(first.finish(), kBound);
  EXPECT_FALSE(hugetlb_on_v2()) << "the first release took hugetlb from the second binding";
  EXPECT_EQ(second.finish(), kBound) << "the second binding lost its mount";
}

} // namespace
} // namespace berth::testing
