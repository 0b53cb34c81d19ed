#include "output.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ostream>

namespace berth::cli {

void print_table(std::ostream &out, const std::vector<std::string> &header,
                 const std::vector<std::vector<std::string>> &rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) {
    widths[i] = header[i].size();
    for (const auto &row : rows) {
      widths[i] = std::max(widths[i], row.at(i).size());
    }
  }
  auto line = [&](const std::vector<std::string> &cells) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) {
        text += std::string(widths[i] - cells[i].size() + 3, ' ');
      }
    }
    out << text << '\n';
  };
  line(header);
  for (const auto &row : rows) {
    line(row);
  }
}

void print_field_table(std::ostream &out, const std::vector<std::string> &header,
                       const std::vector<std::string> &fields,
                       const std::vector<nlohmann::json> &rows) {
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  for (const auto &row : rows) {
    auto &line = cells.emplace_back();
    for (const auto &field : fields) {
      line.push_back(row.at(field).get<std::string>());
    }
  }
  print_table(out, header, cells);
}

void print_json(std::ostream &out, const nlohmann::json &value) {
  out << value.dump(2) << '\n';
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr std::array<const char *, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return text.data();
}

} // namespace berth::cli
