#include "oci/runtime_command.hpp"

#include <berth/sdk/unique_fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <string_view>

extern char **environ; // NOLINT(readability-identifier-naming): POSIX's name

namespace berth::runtime {

using sdk::UniqueFd;
namespace {

namespace fs = std::filesystem;

// A runtime stuck in a hook or on a kernel lock must not hang the engine.
constexpr auto kCommandTimeout = std::chrono::minutes(2);

// Everything execve needs, built before fork: the child may only make
// async-signal-safe calls.
struct ExecImage {
  std::vector<std::string> strings;
  std::vector<char *> argv;
  std::vector<char *> envp;
};

ExecImage exec_image(const std::vector<std::string> &argv) {
  ExecImage image;
  image.strings = argv;
  for (auto &arg : image.strings) {
    image.argv.push_back(arg.data());
  }
  image.argv.push_back(nullptr);
  for (char **env = environ; env != nullptr && *env != nullptr; ++env) {
    // Under systemd, runc would hand NOTIFY_SOCKET to the container and wait
    // for it to report ready: readiness is the caller's business, not ours.
    if (std::string_view(*env).starts_with("NOTIFY_SOCKET=")) {
      continue;
    }
    image.envp.push_back(*env);
  }
  image.envp.push_back(nullptr);
  return image;
}

[[noreturn]] void exec_child(const ExecImage &image, const int (&stdio)[3]) {
  // The caller's blocked signals (a signalfd loop blocks SIGCHLD) and an
  // ignored SIGPIPE would otherwise survive exec into the container.
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  for (int i = 0; i < 3; ++i) {
    if (::dup2(stdio[i], i) < 0) {
      ::_exit(127);
    }
  }
  ::close_range(3, ~0U, 0);
  ::execve(image.argv[0], image.argv.data(), image.envp.data());
  ::_exit(127);
}

// Appends what is readable now; false at end of file.
bool drain(int fd, std::string &into) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<size_t>(n));
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  }
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return 127;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Waits for pid while reading its captured stdout and stderr (fds may be -1),
// then reaps it.
sdk::Result<CommandOutput> wait_for(pid_t pid, int out_fd, int err_fd, const std::string &what) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    reap(pid);
    return sdk::errno_error("pidfd_open", what, err);
  }
  CommandOutput finished;
  const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
  for (;;) {
    pollfd fds[] = {{pidfd.get(), POLLIN, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int n = ::poll(fds, 3, static_cast<int>(std::max<long>(left.count(), 0)));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int err = errno;
      ::kill(pid, SIGKILL);
      reap(pid);
      return sdk::errno_error("poll", what, err);
    }
    if (n == 0) {
      ::kill(pid, SIGKILL);
      reap(pid);
      return sdk::make_error(sdk::Errc::io,
                             "did not finish within 2 minutes and was killed; a hook or the "
                             "kernel may be stuck, check the runtime's hooks and dmesg",
                             what);
    }
    if (fds[1].revents != 0 && !drain(out_fd, finished.out)) {
      out_fd = -1;
    }
    if (fds[2].revents != 0 && !drain(err_fd, finished.err)) {
      err_fd = -1;
    }
    if (fds[0].revents != 0) {
      break;
    }
  }
  // Exited: take what it wrote, without waiting for an end of file that a
  // process it left behind could hold off forever.
  for (int fd : {out_fd, err_fd}) {
    if (fd >= 0) {
      drain(fd, fd == out_fd ? finished.out : finished.err);
    }
  }
  finished.status = reap(pid);
  return finished;
}

sdk::Result<UniqueFd> lifted_copy(int fd) {
  // Above 2, so that putting one stream on 0..2 in the child cannot clobber
  // another it still needs (a caller's stdout given as stderr, say).
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
  if (copy.get() < 0) {
    return sdk::errno_error("fcntl(F_DUPFD)", "fd " + std::to_string(fd));
  }
  return copy;
}

} // namespace

sdk::Result<CommandOutput> run_command(const std::vector<std::string> &argv,
                                       const sdk::ProcessIo *io) {
  const std::string &what = argv[0];
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null.get() < 0) {
    return sdk::errno_error("open", "/dev/null");
  }
  UniqueFd out_read, out_write, err_read, err_write;
  int sources[3] = {null.get(), null.get(), null.get()};
  if (io != nullptr) {
    const int given[3] = {io->stdin_fd, io->stdout_fd, io->stderr_fd};
    for (int i = 0; i < 3; ++i) {
      sources[i] = given[i] >= 0 ? given[i] : null.get();
    }
  } else {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
      return sdk::errno_error("pipe2", what);
    }
    out_read.reset(out[0]);
    out_write.reset(out[1]);
    err_read.reset(err[0]);
    err_write.reset(err[1]);
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    ::fcntl(err[0], F_SETFL, O_NONBLOCK);
    sources[1] = out[1];
    sources[2] = err[1];
  }
  UniqueFd lifted[3];
  int stdio[3];
  for (int i = 0; i < 3; ++i) {
    auto copy = lifted_copy(sources[i]);
    if (!copy.ok()) {
      return std::move(copy).error();
    }
    lifted[i] = std::move(copy).value();
    stdio[i] = lifted[i].get();
  }
  const auto image = exec_image(argv);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return sdk::errno_error("fork", what);
  }
  if (pid == 0) {
    exec_child(image, stdio);
  }
  for (auto &fd : lifted) {
    fd.reset();
  }
  out_write.reset();
  err_write.reset();
  return wait_for(pid, out_read.get(), err_read.get(), what);
}

sdk::Result<ScratchDir> ScratchDir::make(const fs::path &parent) {
  std::string pattern = (parent / "cmd-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return sdk::errno_error("mkdtemp", pattern);
  }
  return ScratchDir(pattern);
}

ScratchDir::ScratchDir(ScratchDir &&other) noexcept : path_(std::exchange(other.path_, {})) {}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  if (!path_.empty()) {
    fs::remove_all(path_, ignored);
  }
}

} // namespace berth::runtime
