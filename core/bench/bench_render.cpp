#include "bench/bench_report.hpp"

#include "bench/bench_format.hpp"

#include <algorithm>

namespace berth::bench {

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

} // namespace berth::bench
