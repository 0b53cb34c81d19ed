// A one-line progress display on standard error when it is a terminal, and
// nothing at all otherwise (scripts and logs stay clean).
#pragma once

#include "image/image_service.hpp"

#include <chrono>
#include <string>

namespace berth::cli {

// What done and total count: bytes ("12.0 MiB / 40.0 MiB") or steps ("3/12").
enum class ProgressUnit { bytes, steps };

class ProgressLine {
public:
  explicit ProgressLine(ProgressUnit unit = ProgressUnit::bytes);
  ~ProgressLine();
  ProgressLine(const ProgressLine &) = delete;
  ProgressLine &operator=(const ProgressLine &) = delete;
  ProgressLine(ProgressLine &&) = delete;
  ProgressLine &operator=(ProgressLine &&) = delete;

  // The callback to hand to the engine; empty when not on a terminal.
  [[nodiscard]] Progress callback();

private:
  void show(const std::string &label, std::uint64_t done, std::uint64_t total);

  ProgressUnit unit_;
  bool enabled_;
  bool shown_ = false;
  std::string last_label_;
  std::chrono::steady_clock::time_point last_{};
};

} // namespace berth::cli
