// berth-init: the init `--init` puts in front of the program, as PID 1 of
// the container. PID 1 gets no default signal handlers and inherits every
// orphan, so a program that never expected to be PID 1 would ignore
// SIGTERM and leave zombies; this forwards signals and reaps.
//
//   /dev/init -- PROGRAM ARGS...
//
// Linked statically: it runs inside any root filesystem, with or without a
// libc of its own. No iostreams, to stay small.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

[[noreturn]] void run_program(char **argv, const sigset_t &original) {
  ::setpgid(0, 0);
  // With a terminal, the program's group must be the foreground one, or a
  // shell reading the tty is stopped (SIGTTIN) for ever.
  if (::isatty(STDIN_FILENO) != 0) {
    ::signal(SIGTTOU, SIG_IGN);
    ::tcsetpgrp(STDIN_FILENO, ::getpid());
    ::signal(SIGTTOU, SIG_DFL);
  }
  ::sigprocmask(SIG_SETMASK, &original, nullptr);
  ::execvp(argv[0], argv);
  std::fprintf(stderr, "berth-init: exec %s: %s\n", argv[0], std::strerror(errno));
  ::_exit(errno == ENOENT ? 127 : 126);
}

} // namespace

int main(int argc, char **argv) {
  int first = 1;
  if (first < argc && std::strcmp(argv[first], "--") == 0) {
    ++first;
  }
  if (first >= argc) {
    std::fprintf(stderr, "usage: berth-init -- PROGRAM [ARGS...]\n");
    return 2;
  }
  sigset_t all;
  sigset_t original;
  ::sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &original);
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("berth-init: fork");
    return 1;
  }
  if (child == 0) {
    run_program(argv + first, original);
  }
  while (true) {
    siginfo_t info{};
    const int signal = ::sigwaitinfo(&all, &info);
    if (signal < 0) {
      continue;
    }
    if (signal != SIGCHLD) {
      // The program's whole process group, so a shell's children hear it too.
      ::kill(-child, signal);
      continue;
    }
    int status = 0;
    pid_t reaped = 0;
    while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (reaped == child) {
        return exit_code(status);
      }
    }
  }
}
