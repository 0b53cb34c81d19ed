// What runs inside the new namespaces, in the cloned child: the root
// filesystem, /dev and /proc, then the process's identity and the program.
//
// The child reports through a pipe: one message, "OK" or "E<code><text>",
// where code is N (not found), P (permission) or I (anything else). It never
// returns; it execs the program or exits.
#pragma once

#include "namespaces/launch_plan.hpp"

#include <berth/sdk/result.hpp>

namespace berth::runtime {

// The fds a child inherits from create() or exec().
struct ChildChannels {
  int report = -1;    // write end: the set-up outcome
  int go = -1;        // read end: one byte once the parent placed us in cgroups
  int exec_fifo = -1; // O_PATH fd of the fifo start() opens (init only)
  int stdin_fd = -1;  // -1: /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;
  int console = -1; // connected console socket when the process wants a tty
};

[[noreturn]] void run_container_init(const InitPlan &plan, const ChildChannels &channels);
// For exec: already in the container's namespaces and cgroups.
[[noreturn]] void run_exec_process(const ProcessPlan &plan, const ChildChannels &channels);

// Reads the child's report until EOF. An init must say "OK"; an exec'd
// process says nothing when execve succeeds (the pipe is close-on-exec).
sdk::Result<void> read_child_report(int fd, bool expect_ok, const std::string &context);

// Brings up the loopback interface of the current network namespace.
sdk::Result<void> bring_up_loopback();

} // namespace berth::runtime
