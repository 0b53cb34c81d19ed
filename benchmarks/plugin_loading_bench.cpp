// What plugin loading costs: the registry in-process, and `berth plugins ls`
// as a whole process (the figure users feel; the goal is under 20 ms).
#include "plugin/registry.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ; // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace {

void BM_RegistryLoadDirectory(benchmark::State &state, const char *dir) {
  if (!std::filesystem::is_directory(dir)) {
    state.SkipWithError("plugin directory not built");
    return;
  }
  std::size_t plugins = 0;
  for (auto _ : state) {
    berth::PluginRegistry registry;
    registry.load_directory(dir);
    plugins = registry.entries().size();
    benchmark::DoNotOptimize(registry);
  }
  state.counters["plugins"] = static_cast<double>(plugins);
}
BENCHMARK_CAPTURE(BM_RegistryLoadDirectory, builtin, BERTH_PLUGIN_DIR)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RegistryLoadDirectory, fixtures, BERTH_FIXTURE_PLUGIN_DIR)
    ->Unit(benchmark::kMillisecond);

// Wall time of a whole `berth plugins ls` process, with the child's CPU time
// (user + system) reported beside it.
void BM_PluginsLsProcess(benchmark::State &state, const char *stack) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::string berth = BERTH_EXECUTABLE;
  std::string stack_flag = std::string("--stack=") + stack;
  std::string plugins = "plugins";
  std::string ls = "ls";
  char *argv[] = {berth.data(), stack_flag.data(), plugins.data(), ls.data(), nullptr};
  double cpu_seconds = 0;
  for (auto _ : state) {
    pid_t pid = 0;
    if (posix_spawn(&pid, berth.c_str(), &actions, nullptr, argv, environ) != 0) {
      state.SkipWithError("cannot spawn berth");
      break;
    }
    int status = 0;
    struct rusage usage {};
    wait4(pid, &status, 0, &usage);
    cpu_seconds += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  posix_spawn_file_actions_destroy(&actions);
  state.counters["cpu_ms"] = benchmark::Counter(
      cpu_seconds * 1e3 / static_cast<double>(std::max<std::int64_t>(state.iterations(), 1)));
}
BENCHMARK_CAPTURE(BM_PluginsLsProcess, default_stack, BERTH_SOURCE_STACK)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PluginsLsProcess, fixture_stack, BERTH_FIXTURE_STACK)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

} // namespace
