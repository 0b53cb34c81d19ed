#include "format/go_template.hpp"

#include "format/go_template_exec.hpp"
#include "format/go_template_lexer.hpp"
#include "format/go_template_parser.hpp"
#include "format/go_template_tree.hpp"

#include <algorithm>
#include <cctype>

namespace berth {

namespace go_template {

std::string where(std::string_view source, std::size_t pos) {
  const auto before = source.substr(0, std::min(pos, source.size()));
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const auto line_start = before.rfind('\n');
  const auto column = line_start == std::string_view::npos ? pos + 1 : pos - line_start;
  return "template: :" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

void fail_at(std::string_view source, std::size_t pos, const std::string &message) {
  throw TemplateError(where(source, pos) + message);
}

} // namespace go_template

GoTemplate::GoTemplate(std::shared_ptr<const go_template::Tree> tree) : tree_(std::move(tree)) {}

GoTemplate GoTemplate::parse(std::string_view text, Options options) {
  auto tree = std::make_shared<go_template::Tree>();
  tree->source = std::string(text);
  tree->nodes =
      go_template::parse_items(tree->source, go_template::lex(tree->source, options.text_escapes));
  return GoTemplate(std::move(tree));
}

std::string GoTemplate::execute(const nlohmann::json &data) const {
  return go_template::execute(*tree_, data);
}

namespace {

// The field an action only prints, as "State.Pid"; empty for anything else.
std::string printed_field(const go_template::Node &node) {
  using go_template::Operand;
  const auto &pipeline = node.pipeline;
  if (node.kind != go_template::Node::Kind::action || !pipeline.variables.empty() ||
      pipeline.commands.size() != 1 || pipeline.commands.front().operands.size() != 1) {
    return {};
  }
  const auto &operand = pipeline.commands.front().operands.front();
  if (operand.kind != Operand::Kind::field) {
    return {};
  }
  std::string path;
  for (const auto &field : operand.fields) {
    path += (path.empty() ? "" : ".") + field;
  }
  return path;
}

} // namespace

std::string
GoTemplate::header(const std::map<std::string, std::string, std::less<>> &headers) const {
  std::string out;
  for (const auto &node : tree_->nodes) {
    if (node.kind == go_template::Node::Kind::text) {
      out += node.text;
      continue;
    }
    const auto path = printed_field(node);
    if (path.empty()) {
      continue;
    }
    if (const auto found = headers.find(path); found != headers.end()) {
      out += found->second;
    } else {
      out += header_words(path.substr(path.rfind('.') + 1));
    }
  }
  return out;
}

std::string header_words(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (i > 0 && std::isupper(c) != 0 &&
        std::islower(static_cast<unsigned char>(field[i - 1])) != 0) {
      out += ' ';
    }
    out += static_cast<char>(std::toupper(c));
  }
  return out;
}

} // namespace berth
