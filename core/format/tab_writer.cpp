#include "format/tab_writer.hpp"

#include <algorithm>
#include <vector>

namespace berth {
namespace {

using Line = std::vector<std::string>;

std::size_t width_of(const std::string &cell) {
  return static_cast<std::size_t>(std::count_if(cell.begin(), cell.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

class Aligner {
public:
  Aligner(std::vector<Line> lines, std::size_t min_width, std::size_t padding)
      : lines_(std::move(lines)), min_width_(min_width), padding_(padding) {}

  std::string run() {
    format(0, lines_.size());
    return out_;
  }

private:
  // A line has a cell in column c when a tab ends it, i.e. it is not last.
  [[nodiscard]] bool has_cell(std::size_t line, std::size_t column) const {
    return column + 1 < lines_[line].size();
  }

  // Lays out lines [from, to): each run of lines with a cell in the next
  // column gets that column's width, then the columns right of it.
  void format(std::size_t from, std::size_t to) {
    const auto column = widths_.size();
    auto printed = from;
    for (auto line = from; line < to;) {
      if (!has_cell(line, column)) {
        ++line;
        continue;
      }
      write(printed, line);
      const auto block = line;
      std::size_t width = min_width_;
      for (; line < to && has_cell(line, column); ++line) {
        width = std::max(width, width_of(lines_[line][column]) + padding_);
      }
      widths_.push_back(width);
      format(block, line);
      widths_.pop_back();
      printed = line;
    }
    write(printed, to);
  }

  void write(std::size_t from, std::size_t to) {
    for (auto line = from; line < to; ++line) {
      const auto &cells = lines_[line];
      for (std::size_t j = 0; j < cells.size(); ++j) {
        out_ += cells[j];
        if (j < widths_.size()) {
          out_ += std::string(widths_[j] - std::min(widths_[j], width_of(cells[j])), ' ');
        }
      }
      out_ += '\n';
    }
  }

  std::vector<Line> lines_;
  std::size_t min_width_;
  std::size_t padding_;
  std::vector<std::size_t> widths_;
  std::string out_;
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  Line cells(1);
  for (const char c : text) {
    if (c == '\n') {
      lines.push_back(std::move(cells));
      cells = Line(1);
    } else if (c == '\t') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  if (cells.size() > 1 || !cells.front().empty()) {
    lines.push_back(std::move(cells)); // a last line without its newline
  }
  return lines;
}

} // namespace

std::string align_columns(std::string_view text, std::size_t min_width, std::size_t padding) {
  auto aligned = Aligner(split_lines(text), min_width, padding).run();
  if (!text.empty() && text.back() != '\n' && !aligned.empty()) {
    aligned.pop_back();
  }
  return aligned;
}

} // namespace berth
