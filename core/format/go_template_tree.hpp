// The parsed form of a Go template, shared by the parser and the executor.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace berth::go_template {

struct Pipeline;

// One argument of a command: `.A.B`, `$x.C`, `"text"`, `(pipeline).D`, `len`.
struct Operand {
  enum class Kind { dot, field, variable, literal, function, pipeline };
  Kind kind = Kind::dot;
  std::size_t pos = 0;
  std::string name;                   // variable ("$x") or function name
  std::vector<std::string> fields;    // the chain after the operand: A, B
  nlohmann::json literal;             // Kind::literal
  std::shared_ptr<Pipeline> pipeline; // Kind::pipeline
};

// A function and its arguments, or a lone operand.
struct Command {
  std::size_t pos = 0;
  std::string source; // for "executing at <...>" in messages
  std::vector<Operand> operands;
};

struct Pipeline {
  std::size_t pos = 0;
  std::vector<std::string> variables; // declared or assigned: $i, $v
  bool assigns = false;               // `$x = ...` rather than `$x := ...`
  std::vector<Command> commands;
};

struct Node {
  enum class Kind { text, action, if_, range, with, break_, continue_ };
  Kind kind = Kind::text;
  std::size_t pos = 0;
  std::string text; // Kind::text
  Pipeline pipeline;
  std::vector<Node> body;
  std::vector<Node> otherwise; // the {{else}} branch
};

struct Tree {
  std::string source; // for line and column numbers
  std::vector<Node> nodes;
};

// "template: :LINE:COLUMN: " for a byte offset in source; both count from 1.
std::string where(std::string_view source, std::size_t pos);

// Throws TemplateError: where(source, pos) + message.
[[noreturn]] void fail_at(std::string_view source, std::size_t pos, const std::string &message);

} // namespace berth::go_template
