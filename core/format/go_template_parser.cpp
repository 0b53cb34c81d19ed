#include "format/go_template_parser.hpp"

#include "format/go_template_functions.hpp"

#include <algorithm>
#include <array>

namespace berth::go_template {
namespace {

// Parentheses and if/range/with nest by recursion here and in the executor;
// a bound keeps a long run of "((((" from overflowing the stack.
constexpr int kMaxNesting = 1000;

bool is_keyword(std::string_view word) {
  static constexpr std::array<std::string_view, 10> kKeywords = {
      "if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"};
  return std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end();
}

// The tokens of one action, read left to right.
struct Cursor {
  const std::vector<Token> &tokens;
  std::size_t next = 0;
  std::size_t end_pos = 0; // where the action closes, for "missing ..." errors

  [[nodiscard]] bool done() const { return next >= tokens.size(); }
  [[nodiscard]] const Token *peek() const { return done() ? nullptr : &tokens[next]; }
  [[nodiscard]] bool at(Token::Kind kind) const { return !done() && tokens[next].kind == kind; }
  [[nodiscard]] std::size_t pos() const { return done() ? end_pos : tokens[next].pos; }
  const Token &take() { return tokens[next++]; }
};

// How a list of nodes ended: the template's end, {{end}} or {{else ...}}.
struct Stop {
  enum class Kind { eof, end, else_ } kind = Kind::eof;
  std::size_t pos = 0;
  std::vector<Token> rest; // what follows "else": "if .X"
};

class Parser {
public:
  Parser(std::string_view source, const std::vector<Item> &items)
      : source_(source), items_(items) {}

  std::vector<Node> parse_all() {
    Stop stop;
    auto nodes = parse_list(stop);
    if (stop.kind != Stop::Kind::eof) {
      fail_at(source_, stop.pos,
              std::string("unexpected {{") + (stop.kind == Stop::Kind::end ? "end" : "else") +
                  "}}");
    }
    return nodes;
  }

private:
  std::vector<Node> parse_list(Stop &stop) {
    std::vector<Node> nodes;
    while (next_item_ < items_.size()) {
      const auto &item = items_[next_item_++];
      if (!item.is_action) {
        nodes.push_back(Node{Node::Kind::text, item.pos, item.text, {}, {}, {}});
        continue;
      }
      Cursor cursor{item.tokens, 0, item.close};
      if (cursor.done()) {
        fail_at(source_, item.pos, "missing value for command");
      }
      const auto &first = *cursor.peek();
      if (first.kind == Token::Kind::identifier && is_keyword(first.text)) {
        cursor.take();
        if (auto node = keyword(first, cursor, stop)) {
          nodes.push_back(std::move(*node));
          continue;
        }
        return nodes;
      }
      Node action{Node::Kind::action, item.pos, {}, parse_pipeline(cursor, 1, "command"), {}, {}};
      nodes.push_back(std::move(action));
    }
    stop = Stop{Stop::Kind::eof, source_.size(), {}};
    return nodes;
  }

  // A keyword action: a node, or nothing when it ends the current list.
  std::optional<Node> keyword(const Token &word, Cursor &cursor, Stop &stop) {
    const auto &name = word.text;
    if (name == "end" || name == "else") {
      if (name == "end" && !cursor.done()) {
        fail_at(source_, cursor.pos(), "unexpected \"" + cursor.peek()->text + "\" in end");
      }
      stop = Stop{name == "end" ? Stop::Kind::end : Stop::Kind::else_, word.pos,
                  std::vector<Token>(item_tokens(cursor))};
      return std::nullopt;
    }
    if (name == "if" || name == "range" || name == "with") {
      return control(word, cursor);
    }
    if (name == "break" || name == "continue") {
      if (range_depth_ == 0) {
        fail_at(source_, word.pos, "{{" + name + "}} outside {{range}}");
      }
      if (!cursor.done()) {
        fail_at(source_, cursor.pos(), "unexpected \"" + cursor.peek()->text + "\" in " + name);
      }
      return Node{
          name == "break" ? Node::Kind::break_ : Node::Kind::continue_, word.pos, {}, {}, {}, {}};
    }
    fail_at(source_, word.pos, "{{" + name + "}} is not supported in --format templates");
  }

  static std::vector<Token> item_tokens(const Cursor &cursor) {
    return {cursor.tokens.begin() + static_cast<long>(cursor.next), cursor.tokens.end()};
  }

  // {{if|range|with pipeline}} body [{{else}} body | {{else if ...}}] {{end}}
  Node control(const Token &word, Cursor &cursor) {
    const auto kind = word.text == "if"      ? Node::Kind::if_
                      : word.text == "range" ? Node::Kind::range
                                             : Node::Kind::with;
    const auto scope = variables_.size(); // declarations live until {{end}}
    nest(word.pos);
    Node node{kind, word.pos,
              {},   parse_pipeline(cursor, kind == Node::Kind::range ? 2 : 1, word.text),
              {},   {}};
    range_depth_ += kind == Node::Kind::range ? 1 : 0;
    Stop stop;
    node.body = parse_list(stop);
    range_depth_ -= kind == Node::Kind::range ? 1 : 0;
    if (stop.kind == Stop::Kind::else_) {
      node.otherwise = otherwise(word, stop);
    } else if (stop.kind == Stop::Kind::eof) {
      fail_at(source_, word.pos, "unexpected EOF: {{" + word.text + "}} has no {{end}}");
    }
    variables_.resize(scope);
    --nesting_;
    return node;
  }

  // What follows {{else}}: a chained {{else if}} / {{else with}} that shares
  // the {{end}}, or a plain list.
  std::vector<Node> otherwise(const Token &word, const Stop &stop) {
    Cursor rest{stop.rest, 0, stop.pos};
    if (!rest.done()) {
      const auto &chained = *rest.peek();
      if (chained.kind != Token::Kind::identifier || chained.text != word.text ||
          word.text == "range") {
        fail_at(source_, chained.pos, "unexpected \"" + chained.text + "\" in else");
      }
      rest.take();
      std::vector<Node> nodes;
      nodes.push_back(control(chained, rest));
      return nodes;
    }
    Stop end;
    auto nodes = parse_list(end);
    if (end.kind != Stop::Kind::end) {
      fail_at(source_, end.kind == Stop::Kind::eof ? word.pos : end.pos,
              end.kind == Stop::Kind::eof ? "unexpected EOF: {{" + word.text + "}} has no {{end}}"
                                          : "expected {{end}}; found {{else}}");
    }
    return nodes;
  }

  Pipeline parse_pipeline(Cursor &cursor, std::size_t max_variables, const std::string &context) {
    Pipeline pipeline;
    pipeline.pos = cursor.pos();
    declarations(cursor, pipeline, max_variables, context);
    while (!cursor.done() && !cursor.at(Token::Kind::close)) {
      pipeline.commands.push_back(parse_command(cursor));
      if (!cursor.at(Token::Kind::pipe)) {
        break;
      }
      cursor.take();
      if (cursor.done() || cursor.at(Token::Kind::close) || cursor.at(Token::Kind::pipe)) {
        fail_at(source_, cursor.pos(), "missing command after |");
      }
    }
    if (pipeline.commands.empty()) {
      fail_at(source_, cursor.pos(), "missing value for " + context);
    }
    for (std::size_t i = 1; i < pipeline.commands.size(); ++i) {
      const auto kind = pipeline.commands[i].operands.front().kind;
      if (kind == Operand::Kind::literal || kind == Operand::Kind::dot) {
        fail_at(source_, pipeline.commands[i].pos,
                "non executable command in pipeline stage " + std::to_string(i + 1));
      }
    }
    return pipeline;
  }

  // `$x :=`, `$i, $v :=` or `$x =` at the start of a pipeline.
  void declarations(Cursor &cursor, Pipeline &pipeline, std::size_t max_variables,
                    const std::string &context) {
    std::size_t look = cursor.next;
    std::vector<const Token *> names;
    while (look < cursor.tokens.size() && cursor.tokens[look].kind == Token::Kind::variable) {
      names.push_back(&cursor.tokens[look++]);
      if (look < cursor.tokens.size() && cursor.tokens[look].kind == Token::Kind::comma) {
        ++look;
        continue;
      }
      break;
    }
    if (names.empty() || look >= cursor.tokens.size() ||
        (cursor.tokens[look].kind != Token::Kind::declare &&
         cursor.tokens[look].kind != Token::Kind::assign)) {
      return;
    }
    if (names.size() > max_variables) {
      fail_at(source_, names[max_variables]->pos, "too many declarations in " + context);
    }
    pipeline.assigns = cursor.tokens[look].kind == Token::Kind::assign;
    for (const auto *name : names) {
      if (pipeline.assigns) {
        require_defined(*name);
      } else {
        variables_.push_back(name->text);
      }
      pipeline.variables.push_back(name->text);
    }
    cursor.next = look + 1;
  }

  Command parse_command(Cursor &cursor) {
    Command command;
    command.pos = cursor.pos();
    std::size_t end = command.pos;
    while (!cursor.done() && !cursor.at(Token::Kind::pipe) && !cursor.at(Token::Kind::close)) {
      command.operands.push_back(parse_operand(cursor));
      end = cursor.tokens[cursor.next - 1].end;
    }
    if (command.operands.empty()) {
      fail_at(source_, command.pos, "missing value for command");
    }
    command.source = std::string(source_.substr(command.pos, end - command.pos));
    return command;
  }

  Operand parse_operand(Cursor &cursor) {
    const auto &token = cursor.take();
    Operand operand;
    operand.pos = token.pos;
    switch (token.kind) {
    case Token::Kind::dot: operand.kind = Operand::Kind::dot; break;
    case Token::Kind::field:
      operand.kind = Operand::Kind::field;
      operand.fields.push_back(token.text);
      break;
    case Token::Kind::variable:
      require_defined(token);
      operand.kind = Operand::Kind::variable;
      operand.name = token.text;
      break;
    case Token::Kind::literal:
      operand.kind = Operand::Kind::literal;
      operand.literal = token.value;
      return operand;
    case Token::Kind::identifier:
      if (is_keyword(token.text) || !is_function(token.text)) {
        fail_at(source_, token.pos, "function \"" + token.text + "\" not defined");
      }
      operand.kind = Operand::Kind::function;
      operand.name = token.text;
      return operand;
    case Token::Kind::open:
      nest(token.pos);
      operand.kind = Operand::Kind::pipeline;
      operand.pipeline =
          std::make_shared<Pipeline>(parse_pipeline(cursor, 0, "parenthesized pipeline"));
      if (!cursor.at(Token::Kind::close)) {
        fail_at(source_, token.pos, "unclosed left paren");
      }
      cursor.take();
      --nesting_;
      break;
    default: fail_at(source_, token.pos, "unexpected \"" + token.text + "\" in operand");
    }
    while (cursor.at(Token::Kind::field) && cursor.peek()->joined) {
      operand.fields.push_back(cursor.take().text);
    }
    return operand;
  }

  void nest(std::size_t pos) {
    if (++nesting_ > kMaxNesting) {
      fail_at(source_, pos, "nested more than " + std::to_string(kMaxNesting) + " levels deep");
    }
  }

  void require_defined(const Token &token) const {
    if (token.text != "$" &&
        std::find(variables_.begin(), variables_.end(), token.text) == variables_.end()) {
      fail_at(source_, token.pos, "undefined variable \"" + token.text + "\"");
    }
  }

  std::string_view source_;
  const std::vector<Item> &items_;
  std::size_t next_item_ = 0;
  std::vector<std::string> variables_;
  int range_depth_ = 0;
  int nesting_ = 0;
};

} // namespace

std::vector<Node> parse_items(std::string_view source, const std::vector<Item> &items) {
  return Parser(source, items).parse_all();
}

} // namespace berth::go_template
