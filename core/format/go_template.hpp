// Go text/template, the language of docker's --format, over JSON values:
// `{{.State.Pid}}`, `{{range .Mounts}}{{.Source}} {{end}}`, `{{json .Config}}`.
// The subset is what docker users write: fields, variables, pipelines, if,
// range, with, Go's builtin functions and docker's extras (json, join, split,
// lower, upper, title, truncate, pad).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth {

// A template that does not parse or cannot run on its data. The message is
// one line that names the place, as Go does: "template: :1:9: function "foo"
// not defined".
class TemplateError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace go_template {
struct Tree;
}

class GoTemplate {
public:
  struct Options {
    // Docker reads `\t` and `\n` in a --format's text as a tab and a newline,
    // so that a shell's single quotes can carry a table layout.
    bool text_escapes = false;
  };

  // Throws TemplateError.
  static GoTemplate parse(std::string_view text, Options options);
  static GoTemplate parse(std::string_view text) { return parse(text, Options{}); }

  // The text the template makes of data. Throws TemplateError.
  [[nodiscard]] std::string execute(const nlohmann::json &data) const;

  // The header row of a `table` template: each action that only names a
  // field (`{{.CreatedAt}}`, `{{.State.Pid}}`) becomes that field's header,
  // headers[field] when given, else its words upper-cased ("CREATED AT");
  // any other action leaves its column empty, and text stays as it is.
  [[nodiscard]] std::string
  header(const std::map<std::string, std::string, std::less<>> &headers) const;

private:
  explicit GoTemplate(std::shared_ptr<const go_template::Tree> tree);
  std::shared_ptr<const go_template::Tree> tree_;
};

// "CreatedAt" -> "CREATED AT", "IPv6" -> "IPV6".
std::string header_words(std::string_view field);

} // namespace berth
