// One problem found in a stack file, printed as FILE:LINE:COLUMN: path: message.
#pragma once

#include "config/config_node.hpp"

#include <string>
#include <vector>

namespace berth {

// The file name diagnostics give for what the built-in default stack says.
inline constexpr const char *kBuiltinStackName = "(built-in default)";

struct Diagnostic {
  std::string file;
  Location at;
  std::string path; // key path, "storage.driver"; empty for the whole file
  std::string message;

  [[nodiscard]] std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

// One line per diagnostic, as a command prints them.
std::string to_lines(const Diagnostics &diagnostics);

} // namespace berth
