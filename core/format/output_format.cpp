#include "format/output_format.hpp"

#include "format/tab_writer.hpp"

namespace berth {
namespace {

// docker lays out its tables with text/tabwriter's minimum width 10 and
// padding 3; the same numbers keep `table` formats lined up like docker's.
constexpr std::size_t kMinColumnWidth = 10;
constexpr std::size_t kColumnPadding = 3;

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

} // namespace

OutputFormat OutputFormat::parse(std::string_view text) {
  OutputFormat format;
  if (text.empty() || text == "table") {
    return format;
  }
  if (text == "json") {
    format.kind_ = Kind::json;
    return format;
  }
  format.kind_ = Kind::lines;
  if (text.starts_with("table ")) {
    format.kind_ = Kind::custom_table;
    text.remove_prefix(6);
  }
  try {
    format.template_ = GoTemplate::parse(trim_spaces(text), GoTemplate::Options{true});
  } catch (const TemplateError &e) {
    throw TemplateError(std::string("template parsing error: ") + e.what());
  }
  return format;
}

std::string OutputFormat::render(const std::vector<nlohmann::json> &items,
                                 const HeaderNames &headers) const {
  if (!template_) {
    return {};
  }
  std::string text;
  if (kind_ == Kind::custom_table) {
    text = template_->header(headers) + "\n";
  }
  for (const auto &item : items) {
    text += template_->execute(item) + "\n";
  }
  return kind_ == Kind::custom_table ? align_columns(text, kMinColumnWidth, kColumnPadding) : text;
}

} // namespace berth
