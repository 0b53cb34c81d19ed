#include "config/diagnostic.hpp"

namespace berth {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (at.line > 0) {
    out += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
  }
  out += ": ";
  if (!path.empty()) {
    out += path + ": ";
  }
  return out + message;
}

std::string to_lines(const Diagnostics &diagnostics) {
  std::string lines;
  for (const auto &diagnostic : diagnostics) {
    lines += (lines.empty() ? "" : "\n") + diagnostic.to_string();
  }
  return lines;
}

} // namespace berth
