#include "bench/bench_report.hpp"

#include "bench/bench_format.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace berth::bench {
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
  return format_decimals(value, 1);
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

// How far the longest subject name reaches left of the chart's edge, at a
// generous 7 px a character: "bridge:mtu=9000:nat=false" does. The view box
// grows that way instead of every coordinate moving.
double label_overflow(const std::vector<Bar> &bars) {
  constexpr double kCharWidth = 7;
  constexpr double kMargin = 10;
  double widest = 0;
  for (const auto &bar : bars)
    widest = std::max(widest, kCharWidth * static_cast<double>(bar.subject->name.size()));
  return std::max(0.0, widest + kMargin - layout::kLabelRight);
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
  const double left = -label_overflow(bars);
  const std::string width = coordinate(layout::kWidth - left);
  return R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width=")" + width +
         "\" height=\"" + height + "\" viewBox=\"" + coordinate(left) + " 0 " + width + " " +
         height + "\" font-family=\"sans-serif\" font-size=\"12\">\n<title>" + escape_xml(title) +
         "</title>\n" +
         text_element(layout::kWidth / 2, 24, title,
                      R"( text-anchor="middle" font-size="15" font-weight="bold")") +
         body + "</svg>\n";
}

} // namespace berth::bench
