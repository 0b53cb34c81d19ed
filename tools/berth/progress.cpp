#include "progress.hpp"

#include "output.hpp"

#include <unistd.h>

#include <iostream>

namespace berth::cli {

ProgressLine::ProgressLine(ProgressUnit unit)
    : unit_(unit), enabled_(::isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine() {
  if (shown_) {
    std::cerr << "\r\033[K" << std::flush;
  }
}

Progress ProgressLine::callback() {
  if (!enabled_) {
    return {};
  }
  return [this](const std::string &label, std::uint64_t done, std::uint64_t total) {
    show(label, done, total);
  };
}

void ProgressLine::show(const std::string &label, std::uint64_t done, std::uint64_t total) {
  const auto now = std::chrono::steady_clock::now();
  // A redraw every 100 ms is smooth to the eye and costs nothing.
  if (label == last_label_ && now - last_ < std::chrono::milliseconds(100) && done != total) {
    return;
  }
  last_label_ = label;
  last_ = now;
  shown_ = true;
  if (unit_ == ProgressUnit::steps) {
    const auto count =
        total > 0 ? "[" + std::to_string(done) + "/" + std::to_string(total) + "] " : "";
    std::cerr << "\r\033[K" << count << label << std::flush;
    return;
  }
  std::string line = label + "  " + human_bytes(done);
  if (total > 0) {
    constexpr int kWidth = 30;
    const auto filled = static_cast<int>(std::min<std::uint64_t>(done, total) * kWidth / total);
    line += " / " + human_bytes(total) + "  [" +
            std::string(static_cast<std::size_t>(filled), '=') +
            std::string(static_cast<std::size_t>(kWidth - filled), ' ') + "]";
  }
  std::cerr << "\r\033[K" << line << std::flush;
}

} // namespace berth::cli
