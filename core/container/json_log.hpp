// Docker's json-file log format: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-11-22T16:00:00.123456789Z"}
// rotated by size into container.log.1 ... container.log.(N-1).
#pragma once

#include "container/monitor.hpp"

#include <berth/sdk/result.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace berth {

class JsonLogWriter {
public:
  JsonLogWriter(std::filesystem::path file, LogOptions options);
  ~JsonLogWriter();
  JsonLogWriter(const JsonLogWriter &) = delete;
  JsonLogWriter &operator=(const JsonLogWriter &) = delete;
  JsonLogWriter(JsonLogWriter &&) = delete;
  JsonLogWriter &operator=(JsonLogWriter &&) = delete;

  // Splits data into lines; a partial line waits for its end (or flush).
  void write(const std::string &stream, const std::string &data);
  // Writes out partial lines, as at the end of a run.
  void flush();

private:
  void emit(const std::string &stream, const std::string &text);
  void rotate();

  std::filesystem::path file_;
  LogOptions options_;
  std::FILE *out_ = nullptr;
  std::uint64_t size_ = 0;
  std::string partial_stdout_;
  std::string partial_stderr_;
};

struct LogLine {
  std::string stream;
  std::string time;
  std::string text; // with its newline, as the program wrote it
};

// Every line kept, oldest first. end, when given, is set to the byte offset
// in the current file just past the last whole line read: where a follower
// goes on (a size taken apart from the read would skip lines written between).
std::vector<LogLine> read_log_lines(const std::filesystem::path &file, int max_files,
                                    std::uint64_t *end = nullptr);
// Lines of the current file from offset on; offset moves past what was read.
std::vector<LogLine> read_new_lines(const std::filesystem::path &file, std::uint64_t &offset);

} // namespace berth
