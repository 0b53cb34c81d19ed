#include "container/json_log.hpp"

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

namespace berth {
namespace {

// A program that never prints a newline still gets its output logged.
constexpr std::size_t kMaxPartial = std::size_t{16} * 1024;

std::filesystem::path rotated(const std::filesystem::path &file, int n) {
  return file.string() + "." + std::to_string(n);
}

std::optional<LogLine> parse_line(const std::string &line) {
  try {
    const auto j = nlohmann::json::parse(line);
    return LogLine{j.value("stream", ""), j.value("time", ""), j.value("log", "")};
  } catch (const nlohmann::json::exception &) {
    return std::nullopt; // a line cut short by a crash
  }
}

} // namespace

JsonLogWriter::JsonLogWriter(std::filesystem::path file, LogOptions options)
    : file_(std::move(file)), options_(options) {
  out_ = std::fopen(file_.c_str(), "ae");
  std::error_code ec;
  size_ = std::filesystem::file_size(file_, ec);
}

JsonLogWriter::~JsonLogWriter() {
  flush();
  if (out_ != nullptr) {
    std::fclose(out_);
  }
}

void JsonLogWriter::write(const std::string &stream, const std::string &data) {
  auto &partial = stream == "stderr" ? partial_stderr_ : partial_stdout_;
  partial += data;
  std::size_t start = 0;
  for (auto newline = partial.find('\n'); newline != std::string::npos;
       newline = partial.find('\n', start)) {
    emit(stream, partial.substr(start, newline + 1 - start));
    start = newline + 1;
  }
  partial.erase(0, start);
  if (partial.size() >= kMaxPartial) {
    emit(stream, partial);
    partial.clear();
  }
}

void JsonLogWriter::flush() {
  if (!partial_stdout_.empty()) {
    emit("stdout", partial_stdout_);
    partial_stdout_.clear();
  }
  if (!partial_stderr_.empty()) {
    emit("stderr", partial_stderr_);
    partial_stderr_.clear();
  }
  if (out_ != nullptr) {
    std::fflush(out_);
  }
}

void JsonLogWriter::emit(const std::string &stream, const std::string &text) {
  if (out_ == nullptr) {
    return;
  }
  const auto line = nlohmann::json{{"log", text}, {"stream", stream}, {"time", rfc3339_now()}}.dump(
                        -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                    "\n";
  if (size_ + line.size() > options_.max_size && size_ > 0) {
    rotate();
  }
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_); // followers read the file, not this buffer
  size_ += line.size();
}

void JsonLogWriter::rotate() {
  std::fclose(out_);
  out_ = nullptr;
  std::error_code ec;
  if (options_.max_files <= 1) {
    std::filesystem::remove(file_, ec);
  } else {
    std::filesystem::remove(rotated(file_, options_.max_files - 1), ec);
    for (int n = options_.max_files - 2; n >= 1; --n) {
      std::filesystem::rename(rotated(file_, n), rotated(file_, n + 1), ec);
    }
    std::filesystem::rename(file_, rotated(file_, 1), ec);
  }
  out_ = std::fopen(file_.c_str(), "ae");
  size_ = 0;
}

std::vector<LogLine> read_log_lines(const std::filesystem::path &file, int max_files,
                                    std::uint64_t *end) {
  std::vector<LogLine> lines;
  for (int n = max_files - 1; n >= 1; --n) {
    std::ifstream in(rotated(file, n));
    std::string line;
    while (std::getline(in, line)) {
      if (auto parsed = parse_line(line)) {
        lines.push_back(std::move(*parsed));
      }
    }
  }
  std::uint64_t offset = 0;
  auto current = read_new_lines(file, offset);
  lines.insert(lines.end(), std::make_move_iterator(current.begin()),
               std::make_move_iterator(current.end()));
  if (end != nullptr) {
    *end = offset;
  }
  return lines;
}

std::vector<LogLine> read_new_lines(const std::filesystem::path &file, std::uint64_t &offset) {
  std::vector<LogLine> lines;
  std::ifstream in(file);
  if (!in) {
    return lines;
  }
  in.seekg(0, std::ios::end);
  const auto end = static_cast<std::uint64_t>(in.tellg());
  if (end < offset) {
    offset = 0; // rotated under us: the new file starts over
  }
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {
      break; // a line still being written; read it next time
    }
    offset += line.size() + 1;
    if (auto parsed = parse_line(line)) {
      lines.push_back(std::move(*parsed));
    }
  }
  return lines;
}

} // namespace berth
