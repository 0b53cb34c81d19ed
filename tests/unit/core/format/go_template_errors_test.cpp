// A template that is wrong says where, as one line: line and column for a
// parse error, and the failing action for an execution error.
#include "format/go_template.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

using json = nlohmann::json;

std::string parse_error(std::string_view text) {
  try {
    GoTemplate::parse(text);
  } catch (const TemplateError &e) {
    return e.what();
  }
  return "parsed";
}

std::string run_error(std::string_view text, const json &data) {
  try {
    const auto out = GoTemplate::parse(text).execute(data);
    return "ran: " + out;
  } catch (const TemplateError &e) {
    return e.what();
  }
}

TEST(GoTemplateErrors, ParseErrorsNameLineAndColumn) {
  EXPECT_EQ(parse_error("{{.ID}} {{foo .Name}}"), "template: :1:11: function \"foo\" not defined");
  EXPECT_EQ(parse_error("line one\n  {{$nope}}"), "template: :2:5: undefined variable \"$nope\"");
  EXPECT_EQ(parse_error("{{.Name"), "template: :1:8: unclosed action");
  EXPECT_EQ(parse_error("{{if .A}}x"), "template: :1:3: unexpected EOF: {{if}} has no {{end}}");
  EXPECT_EQ(parse_error("x{{end}}"), "template: :1:4: unexpected {{end}}");
  EXPECT_EQ(parse_error("{{\"abc}}"), "template: :1:3: unterminated quoted string");
  EXPECT_EQ(parse_error("{{}}"), "template: :1:1: missing value for command");
  EXPECT_EQ(parse_error("{{.A | }}"), "template: :1:8: missing command after |");
  EXPECT_EQ(parse_error("{{(.A}}"), "template: :1:3: unclosed left paren");
  EXPECT_EQ(parse_error("{{.A | 3}}"),
            "template: :1:8: non executable command in pipeline stage 2");
  EXPECT_EQ(parse_error("{{break}}"), "template: :1:3: {{break}} outside {{range}}");
  EXPECT_EQ(parse_error("{{template \"x\"}}"),
            "template: :1:3: {{template}} is not supported in --format templates");
  EXPECT_EQ(parse_error("{{/* open"), "template: :1:3: unclosed comment");
  EXPECT_EQ(parse_error("{{.A ! .B}}"), "template: :1:6: unexpected \"!\" in command");
}

TEST(GoTemplateErrors, ExecutionErrorsNameTheAction) {
  const json data = {{"Name", "web"}, {"Names", {"a"}}};
  EXPECT_EQ(run_error("{{.Name.First}}", data),
            "template: :1:3: executing \"\" at <.Name.First>: can't evaluate field First in type "
            "string");
  EXPECT_EQ(run_error("x {{index .Names 5}}", data),
            "template: :1:5: executing \"\" at <index .Names 5>: error calling index: index out of "
            "range: 5");
  EXPECT_EQ(run_error("{{len 3}}", data),
            "template: :1:3: executing \"\" at <len 3>: error calling len: len of type number");
  EXPECT_EQ(run_error("{{len}}", data),
            "template: :1:3: executing \"\" at <len>: wrong number of args for len: want 1 got 0");
  EXPECT_EQ(run_error("{{eq .Name 1}}", data),
            "template: :1:3: executing \"\" at <eq .Name 1>: error calling eq: incompatible types "
            "for comparison");
  EXPECT_EQ(run_error("{{upper 1}}", data),
            "template: :1:3: executing \"\" at <upper 1>: error calling upper: wrong type for "
            "value; expected string; got number");
  EXPECT_EQ(run_error("{{.Name 1}}", data),
            "template: :1:3: executing \"\" at <.Name 1>: can't give argument to non-function "
            ".Name 1");
  EXPECT_EQ(run_error("{{range .Name}}{{end}}", data),
            "template: :1:9: executing \"\" at <.Name>: range can't iterate over web");
}

// A typo must end in an error, not in minutes of work, gigabytes or a stack
// overflow (fuzz/regressions/go_template keeps the inputs).
TEST(GoTemplateErrors, RunawayTemplatesStopWithAnError) {
  EXPECT_EQ(run_error("{{range 100000000000}}{{end}}", json()),
            "template: :1:3: executing \"\": more than 4000000 steps; is a range too long?");
  EXPECT_EQ(run_error(R"({{pad "x" 2000000000 0}})", json()),
            "template: :1:3: executing \"\" at <pad \"x\" 2000000000 0>: error calling pad: the "
            "result would be longer than 16777216 bytes");
  EXPECT_EQ(
      run_error(R"({{$x := "0123456789abcdef"}}{{range 30}}{{$x = print $x $x}}{{end}})", json()),
      "template: :1:48: executing \"\" at <print $x $x>: error calling print: the result "
      "would be longer than 16777216 bytes");
  EXPECT_EQ(parse_error("{{" + std::string(2000, '(') + "1" + std::string(2000, ')') + "}}"),
            "template: :1:1003: nested more than 1000 levels deep");
}

} // namespace
} // namespace berth
