// The fixture plugins the build makes, and whether this process has one of
// them mapped: a plugin berth did not open must not be.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace berth::testing {

inline std::filesystem::path fixture_plugin(const std::string &name) {
  return std::filesystem::path(BERTH_FIXTURE_PLUGIN_DIR) / ("berth-fixture-" + name + ".so");
}

inline bool is_mapped(const std::filesystem::path &file) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find(file.string()) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace berth::testing
