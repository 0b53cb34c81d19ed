// The flags of `berth create` and `berth run`, shared by both, and the
// terminal plumbing of attached commands (run, start -a, exec -t).
#pragma once

#include "cli.hpp"

#include "container/container_config.hpp"

#include <string>
#include <vector>

namespace berth::cli {

// Docker's exit codes for run, start and exec.
inline constexpr int kExitEngine = 125;        // the engine failed
inline constexpr int kExitNotExecutable = 126; // the program cannot be run
inline constexpr int kExitNotFound = 127;      // the program does not exist

// Adds create/run's options to options.
void add_container_options(po::options_description &options);
// Builds the request from parsed options plus IMAGE and its COMMAND.
ContainerConfig container_config(const po::variables_map &vm, const std::string &image,
                                 const std::vector<std::string> &command);

// Index of the first operand (IMAGE or CONTAINER) in args: what follows it
// belongs to the container's command, not to berth.
std::size_t first_operand(const po::options_description &options,
                          const std::vector<std::string> &args);

// Relays an attach connection to our stdio until the container exits;
// forwards SIGINT/SIGTERM (without a tty) and window sizes. Its exit code.
int relay_attached(int connection, bool tty, bool send_stdin);

// Relays a pty master to our stdio (stdin only with forward_stdin) until
// the process pid exits; its code.
int relay_terminal(int master, int pid, bool forward_stdin);

// Relays pipes (the exec'd process's stdio) to ours until the process pid
// exits and its output is drained; its exit code. in_fd may be -1.
int relay_pipes(int in_fd, int out_fd, int err_fd, int pid);

// Waits for a child (we are its subreaper) and maps its status to a code.
int wait_exit_code(int pid);

} // namespace berth::cli
