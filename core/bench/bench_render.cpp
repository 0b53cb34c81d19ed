#include "bench/bench_report.hpp"

#include "bench/bench_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace berth::bench {
namespace {

// ---- Numbers -------------------------------------------------------------

std::string fixed(double value, int decimals) {
  char buffer[64];
  // to_chars, unlike printf, ignores the locale: a report reads the same everywhere.
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  if (error != std::errc{})
    return "?";
  return {buffer, end};
}

std::string strip_trailing_zeros(std::string text) {
  if (text.find('.') == std::string::npos)
    return text;
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.')
    text.pop_back();
  return text == "-0" ? "0" : text;
}

int decimal_magnitude(double value) {
  return static_cast<int>(std::floor(std::log10(value)));
}

// Three significant digits, never an exponent: "82.3", "0.412", "15.6", and
// "1234" rather than "1.23e+03", because whole milliseconds are what a reader expects.
std::string format_number(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  if (value == 0)
    return "0";
  const double magnitude = std::abs(value);
  const double scale = std::pow(10.0, 2 - decimal_magnitude(magnitude));
  // Decide the decimals on the rounded value, so that 99.96 becomes "100", not "100.0".
  const double rounded = std::round(magnitude * scale) / scale;
  constexpr int kMaxDecimals = 9;
  const int decimals = std::clamp(2 - decimal_magnitude(rounded), 0, kMaxDecimals);
  return strip_trailing_zeros(fixed(value, decimals));
}

} // namespace

// ---- Cells, shared by the table and Markdown ----------------------------

namespace {

// Latencies measured many times are judged by their tail, which min-max hides.
bool shows_p99(const Summary &summary, Better better) {
  return summary.runs >= 20 && better == Better::lower;
}

std::string measured_cell(const Summary &summary, Better better, const std::string &dash,
                          bool bold) {
  std::string median = format_number(summary.median);
  if (bold)
    median = "**" + median + "**";
  const std::string spread = shows_p99(summary, better)
                                 ? "p99 " + format_number(summary.p99)
                                 : format_number(summary.min) + dash + format_number(summary.max);
  return median + " (" + spread + ", n=" + std::to_string(summary.runs) + ")";
}

std::string cell_text(const Report &report, const Workload &workload, const Subject &subject,
                      const std::string &dash, bool bold) {
  const Measurement *measurement = report.find(workload.id, subject.name);
  if (measurement == nullptr)
    return subject.status == "failed" || subject.status == "skipped" ? subject.status : "-";
  if (!measurement->error.empty())
    return "failed";
  if (!measurement->unsupported.empty())
    return "n/a";
  if (measurement->samples.empty())
    return "-";
  return measured_cell(summarize(measurement->samples), workload.better, dash, bold);
}

std::string workload_label(const Workload &workload) {
  return workload.title + " (" + workload.unit + ")";
}

// Which subjects have the row's best median. None when fewer than two were
// measured: a lone figure has nothing to beat.
std::vector<bool> best_in_row(const Report &report, const Workload &workload) {
  std::vector<std::optional<double>> medians;
  for (const auto &subject : report.subjects) {
    const Measurement *measurement = report.find(workload.id, subject.name);
    if (measurement == nullptr || measurement->samples.empty()) {
      medians.emplace_back();
      continue;
    }
    medians.emplace_back(summarize(measurement->samples).median);
  }
  std::optional<double> best;
  std::size_t measured = 0;
  for (const auto &median : medians) {
    if (!median)
      continue;
    ++measured;
    if (!best || (workload.better == Better::lower ? *median < *best : *median > *best))
      best = median;
  }
  std::vector<bool> is_best(medians.size(), false);
  if (measured < 2)
    return is_best;
  for (std::size_t i = 0; i < medians.size(); ++i)
    is_best[i] = medians[i] && *medians[i] == *best;
  return is_best;
}

std::vector<std::string> result_row(const Report &report, const Workload &workload,
                                    const std::string &dash, const std::vector<bool> &bold) {
  std::vector<std::string> row{workload_label(workload)};
  for (std::size_t i = 0; i < report.subjects.size(); ++i)
    row.push_back(cell_text(report, workload, report.subjects[i], dash, bold[i]));
  return row;
}

} // namespace

Table to_table(const Report &report) {
  Table table;
  table.header.emplace_back("WORKLOAD");
  for (const auto &subject : report.subjects)
    table.header.push_back(subject.name);
  const std::vector<bool> plain(report.subjects.size(), false);
  for (const auto &workload : report.workloads)
    table.rows.push_back(result_row(report, workload, "-", plain));
  return table;
}

// ---- Markdown --------------------------------------------------------------

namespace {

// A cell must stay on one line and its pipes must not end it.
std::string escape_cell(const std::string &text) {
  std::string out;
  for (const char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// Code points, not bytes: the en dash is three bytes but one column.
std::size_t display_width(const std::string &text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string padded(const std::string &text, std::size_t width) {
  return text + std::string(width - std::min(width, display_width(text)), ' ');
}

// Columns padded to a common width, so the table also reads well as plain text.
std::string markdown_table(const std::vector<std::string> &header,
                           const std::vector<std::vector<std::string>> &rows) {
  std::vector<std::vector<std::string>> cells{header};
  cells.insert(cells.end(), rows.begin(), rows.end());
  std::vector<std::size_t> widths(header.size(), 3);
  for (auto &row : cells)
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      row[i] = escape_cell(row[i]);
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  std::vector<std::string> rule;
  rule.reserve(widths.size());
  for (const std::size_t width : widths)
    rule.emplace_back(width, '-');
  cells.insert(cells.begin() + 1, rule);
  std::string out;
  for (const auto &row : cells) {
    out += "|";
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      out += " " + padded(row[i], widths[i]) + " |";
    out += "\n";
  }
  return out;
}

std::string subject_label(const Subject &subject) {
  return subject.peer ? subject.name + " (peer)" : subject.name;
}

// Inline code that survives a backtick inside: `` a`b `` per CommonMark.
std::string inline_code(const std::string &text) {
  if (text.find('`') == std::string::npos)
    return "`" + text + "`";
  return "`` " + text + " ``";
}

std::string machine_section(const Report &report) {
  const MachineFacts &m = report.machine;
  constexpr double kGib = 1024.0 * 1024.0 * 1024.0;
  return "## Machine\n\n- Kernel: " + m.kernel + "\n- OS: " + m.os + "\n- CPU: " + m.cpu_model +
         " x " + std::to_string(m.cores) +
         "\n- Memory: " + format_number(static_cast<double>(m.memory_bytes) / kGib) +
         " GiB\n- Filesystem: " + m.filesystem + "\n- cgroup: " + m.cgroup +
         "\n- berth: " + m.berth_version + "\n- Started: " + report.started_at + "\n";
}

std::string parameters_section(const Report &report) {
  std::string out = "## Parameters\n\n";
  if (!report.parameters.is_object() || report.parameters.empty())
    return out + "- none\n";
  for (const auto &[key, value] : report.parameters.items())
    out += "- " + key + ": " + (value.is_string() ? value.get<std::string>() : value.dump()) + "\n";
  return out;
}

std::string subjects_section(const Report &report) {
  std::vector<std::vector<std::string>> rows;
  for (const auto &subject : report.subjects)
    rows.push_back({subject_label(subject), subject.plugin.empty() ? "-" : subject.plugin,
                    subject.version, inline_code(subject.options.dump()), subject.status});
  return "## Subjects\n\n" +
         markdown_table({"subject", "plugin", "version", "options", "status"}, rows);
}

std::string results_section(const Report &report) {
  std::vector<std::string> header{"workload"};
  for (const auto &subject : report.subjects)
    header.push_back(subject_label(subject));
  std::vector<std::vector<std::string>> rows;
  for (const auto &workload : report.workloads)
    rows.push_back(result_row(report, workload, "–", best_in_row(report, workload)));
  return "## Results\n\n" + markdown_table(header, rows);
}

std::string failures_section(const Report &report) {
  std::string items;
  for (const auto &measurement : report.measurements) {
    if (measurement.error.empty())
      continue;
    const Workload *workload = find_workload(report, measurement.workload);
    const std::string what = workload != nullptr ? workload->title : measurement.workload;
    items += "- " + what + " on " + measurement.subject + ": " + one_line(measurement.error) + "\n";
  }
  for (const auto &subject : report.subjects) {
    if (subject.status != "failed" && subject.status != "skipped")
      continue;
    items += "- " + subject.name + " " + subject.status +
             (subject.reason.empty() ? "" : ": " + one_line(subject.reason)) + "\n";
  }
  return items.empty() ? "" : "## Failures\n\n" + items;
}

} // namespace

std::string to_markdown(const Report &report) {
  std::string out = "# berth bench " + report.suite + "\n\n";
  out += machine_section(report) + "\n";
  out += parameters_section(report) + "\n";
  out += subjects_section(report) + "\n";
  out += results_section(report);
  const std::string failures = failures_section(report);
  if (!failures.empty())
    out += "\n" + failures;
  return out;
}

// ---- SVG -------------------------------------------------------------------

namespace {

namespace layout {
constexpr double kWidth = 720;
constexpr double kLabelRight = 150; // subject names end here, right-aligned
constexpr double kPlotLeft = 160;   // the axis: zero
constexpr double kPlotWidth = 400;  // leaves room right of the longest bar for its value
constexpr double kFirstRow = 44;    // below the title
constexpr double kBarPitch = 28;
constexpr double kBarHeight = 16;
constexpr double kNotePitch = 18;
} // namespace layout

constexpr const char *kBerthColour = "#4878cf";
constexpr const char *kPeerColour = "#d65f5f";

std::string escape_xml(const std::string &text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default: out += c;
    }
  }
  return out;
}

// One decimal is finer than a pixel and keeps the output byte-for-byte stable.
std::string coordinate(double value) {
  return strip_trailing_zeros(fixed(value, 1));
}

std::string text_element(double x, double y, const std::string &text,
                         const std::string &attributes = "") {
  return "<text x=\"" + coordinate(x) + "\" y=\"" + coordinate(y) + "\"" + attributes + ">" +
         escape_xml(text) + "</text>\n";
}

std::string line_element(double x1, double y1, double x2, double y2, const char *stroke) {
  return "<line x1=\"" + coordinate(x1) + "\" y1=\"" + coordinate(y1) + "\" x2=\"" +
         coordinate(x2) + "\" y2=\"" + coordinate(y2) + "\" stroke=\"" + stroke +
         "\" stroke-width=\"1\"/>\n";
}

struct Bar {
  const Subject *subject;
  Summary summary;
};

// Failed, unsupported or skipped subjects have no bar; the chart still names them.
std::optional<std::string> note_for(const Report &report, const Workload &workload,
                                    const Subject &subject) {
  const Measurement *measurement = report.find(workload.id, subject.name);
  if (measurement == nullptr) {
    if (subject.status == "failed" || subject.status == "skipped")
      return subject.name + ": " + subject.status;
    return std::nullopt;
  }
  if (!measurement->error.empty())
    return subject.name + ": failed";
  if (!measurement->unsupported.empty())
    return subject.name + ": n/a";
  return std::nullopt;
}

std::vector<Bar> bars_of(const Report &report, const Workload &workload) {
  std::vector<Bar> bars;
  for (const auto &subject : report.subjects) {
    const Measurement *measurement = report.find(workload.id, subject.name);
    if (measurement != nullptr && !measurement->samples.empty())
      bars.push_back({&subject, summarize(measurement->samples)});
  }
  return bars;
}

// The axis runs from zero to the largest max, so whiskers stay inside the plot.
double axis_end(const std::vector<Bar> &bars) {
  double end = 0;
  for (const auto &bar : bars)
    end = std::max(end, bar.summary.max);
  return end > 0 ? end : 1;
}

double x_of(double value, double scale_end) {
  const double fraction = std::clamp(value / scale_end, 0.0, 1.0);
  return layout::kPlotLeft + (std::isnan(fraction) ? 0 : fraction) * layout::kPlotWidth;
}

std::string bar_elements(const Bar &bar, double top, double scale_end, const std::string &unit) {
  const double middle = top + layout::kBarHeight / 2;
  const double end = x_of(bar.summary.median, scale_end);
  const double low = x_of(bar.summary.min, scale_end);
  const double high = x_of(bar.summary.max, scale_end);
  const double cap = layout::kBarHeight / 4;
  std::string out =
      text_element(layout::kLabelRight, middle + 4, bar.subject->name, " text-anchor=\"end\"");
  out += "<rect x=\"" + coordinate(layout::kPlotLeft) + "\" y=\"" + coordinate(top) +
         "\" width=\"" + coordinate(end - layout::kPlotLeft) + "\" height=\"" +
         coordinate(layout::kBarHeight) + "\" fill=\"" +
         (bar.subject->peer ? kPeerColour : kBerthColour) + "\"/>\n";
  out += line_element(low, middle, high, middle, "#333333");
  out += line_element(low, middle - cap, low, middle + cap, "#333333");
  out += line_element(high, middle - cap, high, middle + cap, "#333333");
  out += text_element(std::max(end, high) + 6, middle + 4,
                      format_number(bar.summary.median) + " " + unit);
  return out;
}

std::string axis_elements(double top, double bottom, double scale_end, const std::string &unit) {
  const double right = layout::kPlotLeft + layout::kPlotWidth;
  std::string out = line_element(layout::kPlotLeft, top, layout::kPlotLeft, bottom, "#999999");
  out += line_element(layout::kPlotLeft, bottom, right, bottom, "#999999");
  out += text_element(layout::kPlotLeft, bottom + 14, "0", R"( text-anchor="middle")");
  out += text_element(right, bottom + 14, format_number(scale_end) + " " + unit,
                      R"( text-anchor="middle")");
  return out;
}

std::string legend_elements(double y) {
  const auto key = [&](double x, const char *colour, const char *label) {
    return "<circle cx=\"" + coordinate(x) + "\" cy=\"" + coordinate(y - 4) + R"(" r="5" fill=")" +
           colour + "\"/>\n" + text_element(x + 9, y, label);
  };
  return key(layout::kPlotLeft, kBerthColour, "berth") +
         key(layout::kPlotLeft + 80, kPeerColour, "peers");
}

} // namespace

std::string to_svg(const Report &report, const Workload &workload) {
  const std::vector<Bar> bars = bars_of(report, workload);
  std::vector<std::string> notes;
  for (const auto &subject : report.subjects)
    if (auto note = note_for(report, workload, subject))
      notes.push_back(std::move(*note));
  const bool any_peer =
      std::any_of(bars.begin(), bars.end(), [](const Bar &bar) { return bar.subject->peer; });

  const double scale_end = axis_end(bars);
  std::string body;
  double y = layout::kFirstRow;
  for (const auto &bar : bars) {
    body += bar_elements(bar, y, scale_end, workload.unit);
    y += layout::kBarPitch;
  }
  if (!bars.empty()) {
    body += axis_elements(layout::kFirstRow - 6, y - 4, scale_end, workload.unit);
    y += 24;
  }
  for (const auto &note : notes) {
    body += text_element(layout::kPlotLeft, y, note, " fill=\"#666666\"");
    y += layout::kNotePitch;
  }
  if (any_peer) {
    body += legend_elements(y + 4);
    y += layout::kNotePitch + 4;
  }

  const std::string title =
      workload_label(workload) + ", " + better_name(workload.better) + " is better";
  const std::string height = coordinate(y + 8);
  return R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width=")" +
         coordinate(layout::kWidth) + "\" height=\"" + height + "\" viewBox=\"0 0 " +
         coordinate(layout::kWidth) + " " + height +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n<title>" + escape_xml(title) +
         "</title>\n" +
         text_element(layout::kWidth / 2, 24, title,
                      R"( text-anchor="middle" font-size="15" font-weight="bold")") +
         body + "</svg>\n";
}

} // namespace berth::bench
