// What a command's --format asks for, read as docker reads it: the command's
// own table, JSON, or a Go template run over each item the command prints
// (the same objects `--format json` shows), alone on a line or, after
// "table ", as aligned columns under a header.
#pragma once

#include "format/go_template.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// A command's own header for a field, where it differs from the field's words:
// {"ID", "CONTAINER ID"}.
using HeaderNames = std::map<std::string, std::string, std::less<>>;

class OutputFormat {
public:
  enum class Kind {
    table,        // the command's own table: "" or "table"
    json,         // "json"
    lines,        // a template, one line per item
    custom_table, // "table TEMPLATE": a header and aligned rows
  };

  // Throws TemplateError: "template parsing error: template: :1:9: ...".
  static OutputFormat parse(std::string_view text);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool is_template() const { return template_.has_value(); }

  // The template's text for items: a line each, or a table. Throws
  // TemplateError when the template cannot run on an item.
  [[nodiscard]] std::string render(const std::vector<nlohmann::json> &items,
                                   const HeaderNames &headers = {}) const;

private:
  Kind kind_ = Kind::table;
  std::optional<GoTemplate> template_;
};

} // namespace berth
