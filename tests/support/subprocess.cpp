#include "support/subprocess.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ; // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace berth::testing {
namespace {

std::vector<std::string> merged_environment(const std::map<std::string, std::string> &extra) {
  std::vector<std::string> env;
  for (char **item = environ; *item != nullptr; ++item) {
    const std::string entry(*item);
    const auto name = entry.substr(0, entry.find('='));
    if (extra.count(name) == 0) {
      env.push_back(entry);
    }
  }
  for (const auto &[name, value] : extra) {
    if (!value.empty()) {
      env.push_back(name + "=" + value);
    }
  }
  return env;
}

std::vector<char *> pointers(std::vector<std::string> &items) {
  std::vector<char *> out;
  for (auto &item : items) {
    out.push_back(item.data());
  }
  out.push_back(nullptr);
  return out;
}

// Reads both pipes until the child closes them, so neither can fill and block.
void drain(int out_fd, int err_fd, std::string &out, std::string &err) {
  std::array<pollfd, 2> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
  int open = 2;
  std::array<char, 65536> buffer{};
  while (open > 0) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        (i == 0 ? out : err).append(buffer.data(), static_cast<std::size_t>(n));
        continue;
      }
      close(fds[i].fd);
      fds[i].fd = -1;
      --open;
    }
  }
}

} // namespace

Completed run_process(const std::vector<std::string> &argv,
                      const std::map<std::string, std::string> &extra_env,
                      const std::string &working_dir) {
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (pipe2(out_pipe.data(), O_CLOEXEC) != 0 || pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  auto args = argv;
  auto env = merged_environment(extra_env);
  auto arg_pointers = pointers(args);
  auto env_pointers = pointers(env);
  const pid_t pid = fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) {
      _exit(126);
    }
    execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  Completed result;
  drain(out_pipe[0], err_pipe[0], result.out, result.err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Completed run_berth(const std::vector<std::string> &args,
                    const std::map<std::string, std::string> &extra_env) {
  std::vector<std::string> argv{BERTH_EXECUTABLE};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = extra_env;
  env.emplace("BERTH_STACK", BERTH_SOURCE_DIR "/examples/stacks/default.yaml");
  return run_process(argv, env);
}

} // namespace berth::testing
