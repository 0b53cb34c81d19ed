#include "bench/cli_runs.hpp"

#include "bench/bench_support.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char **environ; // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace berth::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char *kImage = "berth-bench-runtime:latest";

std::string first_line(const fs::path &file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Runs argv with stdin from /dev/null and stdout and stderr to output; its
// exit status, or why it could not run. posix_spawn: we may have threads.
sdk::Result<int> run_program(std::vector<std::string> argv, const fs::path &output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char *> args;
  args.reserve(argv.size() + 1);
  for (auto &arg : argv) {
    args.push_back(arg.data());
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args.front(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return sdk::errno_error("posix_spawn", argv.front(), spawned);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return sdk::errno_error("waitpid", argv.front());
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// run_program, where anything but exit 0 is an error quoting its output.
sdk::Result<void> run_to_success(std::vector<std::string> argv, const fs::path &output) {
  const auto program = argv.front();
  auto status = run_program(std::move(argv), output);
  if (!status.ok()) {
    return std::move(status).error();
  }
  if (*status != 0) {
    return sdk::make_error(sdk::Errc::io,
                           "exited with " + std::to_string(*status) + ": " + first_line(output),
                           program);
  }
  return {};
}

} // namespace

sdk::Result<CliRuns> CliRuns::prepare(const fs::path &cli, const fs::path &scratch,
                                      const fs::path &rootfs) {
  if (cli.empty()) {
    return sdk::make_error(sdk::Errc::unavailable,
                           "measured only through the berth command (berth bench runtime)");
  }
  const auto dir = scratch / "cli";
  fs::create_directories(dir);
  const auto tarball = dir / "rootfs.tar";
  const auto output = dir / "output";
  if (auto packed =
          run_to_success({"/bin/tar", "-C", rootfs.string(), "-cf", tarball.string(), "."}, output);
      !packed.ok()) {
    return std::move(packed).error();
  }
  if (auto imported = run_to_success(
          {cli.string(), "--root", (dir / "root").string(), "import", tarball.string(), kImage},
          output);
      !imported.ok()) {
    return std::move(imported).error();
  }
  return CliRuns(cli, dir);
}

// The built-in stack with subject as the one backend `run` picks.
sdk::Result<fs::path> CliRuns::stack_for(const BenchSubject &subject) const {
  const auto file = scratch_ / ("stack-" + subject.key + ".yaml");
  // JSON is YAML's flow style, so the validated options go in as they are.
  std::ofstream out(file);
  out << "apiVersion: berth/v1\nkind: Stack\nruntime:\n  default: bench\n  backends:\n"
      << "    bench: { plugin: " << nlohmann::json(subject.plugin).dump()
      << ", options: " << subject.options.dump() << " }\n";
  if (!out.flush()) {
    return sdk::errno_error("write", file.string());
  }
  return file;
}

sdk::Result<double> CliRuns::run_once(const BenchSubject &subject) const {
  auto stack = stack_for(subject);
  if (!stack.ok()) {
    return std::move(stack).error();
  }
  const auto start = Clock::now();
  if (auto ran =
          run_to_success({cli_.string(), "--root", (scratch_ / "root").string(), "--stack",
                          stack->string(), "run", "--rm", "--network", "none", kImage, "/bin/true"},
                         scratch_ / "output");
      !ran.ok()) {
    return std::move(ran).error();
  }
  return ms_since(start);
}

} // namespace berth::bench
