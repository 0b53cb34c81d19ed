// Splits a Go template into text and actions, and an action into tokens.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::go_template {

struct Token {
  enum class Kind {
    identifier, // a function or a keyword: printf, if, end
    field,      // .Name (text is Name)
    variable,   // $ or $name (text includes the $)
    literal,    // a string, number, bool or nil (in value)
    dot,
    pipe,
    open,    // (
    close,   // )
    declare, // :=
    assign,  // =
    comma,
  };
  Kind kind = Kind::dot;
  std::string text;
  std::size_t pos = 0;
  std::size_t end = 0; // just after it in the source
  bool joined = false; // no space before it: `.A.B`, `$x.Y`, `(...).Z`
  nlohmann::json value;
};

struct Item {
  bool is_action = false;
  std::size_t pos = 0;
  std::string text;          // text items
  std::vector<Token> tokens; // actions
  std::size_t close = 0;     // where an action's "}}" (or "-}}") starts
};

// Throws TemplateError naming the line and column.
std::vector<Item> lex(std::string_view source, bool text_escapes);

} // namespace berth::go_template
