// The harnesses without libFuzzer: `berth_fuzz_replay NAME PATH...` feeds
// every file under each PATH to harness NAME once. ctest runs it per harness
// over its corpus and regressions, so an input that once crashed or hung
// fails the normal build's suite, with no clang needed.
#include "fuzz_target.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// libFuzzer's own -timeout in the fuzz runs is 10 s under ASan; a plain
// build is faster, so this catches the same hangs with room to spare.
constexpr unsigned kSecondsPerInput = 10;

std::map<std::string, berth::fuzz::Target, std::less<>> &targets() {
  static std::map<std::string, berth::fuzz::Target, std::less<>> registered;
  return registered;
}

// The input being replayed, for the alarm handler (which may not allocate).
std::array<char, 4096> current_input{};

extern "C" void on_alarm(int /*signal*/) {
  constexpr std::string_view kPrefix = "replay: hang: input took longer than 10 s: ";
  (void)!::write(STDERR_FILENO, kPrefix.data(), kPrefix.size());
  (void)!::write(STDERR_FILENO, current_input.data(), ::strnlen(current_input.data(), 4096));
  (void)!::write(STDERR_FILENO, "\n", 1);
  ::_exit(1);
}

// Regular files under path (or path itself), sorted so that runs repeat.
std::vector<fs::path> inputs_under(const fs::path &path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
    return files;
  }
  if (!fs::is_directory(path, ec)) {
    return files; // a harness with no regressions yet has no directory for them
  }
  for (const auto &entry : fs::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string slurp(const fs::path &file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

bool berth::fuzz::register_target(std::string_view name, Target target) {
  targets().emplace(name, target);
  return true;
}

int main(int argc, char **argv) {
  const auto found = argc >= 3 ? targets().find(std::string_view(argv[1])) : targets().end();
  if (found == targets().end()) {
    std::cerr << "usage: berth_fuzz_replay HARNESS PATH...\nharnesses:";
    for (const auto &[name, target] : targets()) {
      std::cerr << ' ' << name;
    }
    std::cerr << '\n';
    return 2;
  }
  std::signal(SIGALRM, on_alarm);
  std::size_t replayed = 0;
  for (int i = 2; i < argc; ++i) {
    for (const auto &file : inputs_under(argv[i])) {
      const auto data = slurp(file);
      const auto name = file.string();
      std::snprintf(current_input.data(), current_input.size(), "%s", name.c_str());
      // Printed first, so that the input that crashes is the last line.
      std::cout << name << std::endl;
      ::alarm(kSecondsPerInput);
      found->second(reinterpret_cast<const std::uint8_t *>(data.data()), data.size());
      ::alarm(0);
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::cerr << "replay: no inputs under the paths given; is the corpus missing?\n";
    return 1;
  }
  std::cout << found->first << ": " << replayed << " inputs replayed\n";
  return 0;
}
