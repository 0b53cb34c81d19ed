#include "format/go_template_lexer.hpp"

#include "format/go_template_tree.hpp"

#include <cstdlib>
#include <optional>

namespace berth::go_template {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string expand_text_escapes(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      out += text[++i] == 't' ? '\t' : '\n';
    } else {
      out += text[i];
    }
  }
  return out;
}

void append_utf8(std::string &out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Reads one action's tokens; `at` starts after "{{" and ends after "}}".
class ActionLexer {
public:
  ActionLexer(std::string_view source, std::size_t at) : source_(source), at_(at) {}

  std::vector<Token> tokens;
  bool trim_after = false; // the action ended with " -}}"
  std::size_t close = 0;

  std::size_t run() {
    std::size_t last_end = std::string_view::npos;
    for (;;) {
      const auto before = at_;
      while (at_ < source_.size() && is_space(source_[at_])) {
        ++at_;
      }
      if (at_ >= source_.size()) {
        fail_at(source_, at_, "unclosed action");
      }
      close = at_;
      if (source_.substr(at_, 3) == "-}}" && at_ > before) {
        trim_after = true;
        return at_ + 3;
      }
      if (source_.substr(at_, 2) == "}}") {
        return at_ + 2;
      }
      Token token = next();
      token.joined = token.pos == last_end;
      last_end = at_;
      tokens.push_back(std::move(token));
    }
  }

private:
  Token make(Token::Kind kind, std::size_t pos, std::size_t length) {
    Token token;
    token.kind = kind;
    token.pos = pos;
    token.text = std::string(source_.substr(pos, length));
    at_ = pos + length;
    token.end = at_;
    return token;
  }

  std::size_t word_end(std::size_t from) const {
    while (from < source_.size() && is_word(source_[from])) {
      ++from;
    }
    return from;
  }

  Token next() {
    const auto pos = at_;
    const char c = source_[pos];
    const char after = pos + 1 < source_.size() ? source_[pos + 1] : '\0';
    switch (c) {
    case '|': return make(Token::Kind::pipe, pos, 1);
    case '(': return make(Token::Kind::open, pos, 1);
    case ')': return make(Token::Kind::close, pos, 1);
    case ',': return make(Token::Kind::comma, pos, 1);
    case '=': return make(Token::Kind::assign, pos, 1);
    case ':':
      if (after != '=') {
        fail_at(source_, pos, "expected :=");
      }
      return make(Token::Kind::declare, pos, 2);
    case '"':
    case '\'': return quoted(pos);
    case '`': return raw(pos);
    case '$': return make(Token::Kind::variable, pos, word_end(pos + 1) - pos);
    case '.':
      if (is_digit(after)) {
        return number(pos);
      }
      if (is_word(after)) {
        auto token = make(Token::Kind::field, pos, word_end(pos + 1) - pos);
        token.text.erase(0, 1);
        return token;
      }
      return make(Token::Kind::dot, pos, 1);
    default: break;
    }
    if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(after) || after == '.'))) {
      return number(pos);
    }
    if (is_word(c)) {
      return word(pos);
    }
    fail_at(source_, pos, "unexpected \"" + std::string(1, c) + "\" in command");
  }

  Token word(std::size_t pos) {
    auto token = make(Token::Kind::identifier, pos, word_end(pos) - pos);
    if (token.text == "true" || token.text == "false") {
      token.kind = Token::Kind::literal;
      token.value = token.text == "true";
    } else if (token.text == "nil") {
      token.kind = Token::Kind::literal;
    }
    return token;
  }

  Token number(std::size_t pos) {
    auto end = pos + 1;
    while (end < source_.size() && (is_word(source_[end]) || source_[end] == '.' ||
                                    ((source_[end] == '-' || source_[end] == '+') &&
                                     (source_[end - 1] == 'e' || source_[end - 1] == 'E')))) {
      ++end;
    }
    auto token = make(Token::Kind::literal, pos, end - pos);
    std::string digits;
    for (const char d : token.text) {
      if (d != '_') {
        digits += d;
      }
    }
    char *stop = nullptr;
    const bool is_float = digits.find_first_of(".eE") != std::string::npos &&
                          digits.find_first_of("xX") == std::string::npos;
    if (is_float) {
      token.value = std::strtod(digits.c_str(), &stop);
    } else {
      token.value = std::strtoll(digits.c_str(), &stop, 0);
    }
    if (stop != digits.c_str() + digits.size()) {
      fail_at(source_, pos, "bad number syntax: \"" + token.text + "\"");
    }
    return token;
  }

  Token raw(std::size_t pos) {
    const auto end = source_.find('`', pos + 1);
    if (end == std::string_view::npos) {
      fail_at(source_, pos, "unterminated raw quoted string");
    }
    auto token = make(Token::Kind::literal, pos, end + 1 - pos);
    token.value = std::string(source_.substr(pos + 1, end - pos - 1));
    return token;
  }

  // A "string" with Go's escapes, or a 'c' character constant (a number).
  Token quoted(std::size_t pos) {
    const char quote = source_[pos];
    std::string text;
    auto i = pos + 1;
    for (;; ++i) {
      if (i >= source_.size() || source_[i] == '\n') {
        fail_at(source_, pos,
                quote == '"' ? "unterminated quoted string" : "unterminated character constant");
      }
      if (source_[i] == quote) {
        break;
      }
      if (source_[i] != '\\') {
        text += source_[i];
        continue;
      }
      i = escape(i, text);
    }
    auto token = make(Token::Kind::literal, pos, i + 1 - pos);
    if (quote == '"') {
      token.value = text;
      return token;
    }
    const auto code = first_code_point(text);
    if (!code) {
      fail_at(source_, pos, "malformed character constant: " + token.text);
    }
    token.value = *code;
    return token;
  }

  // Decodes the escape at source_[i] (a backslash) into text; returns the
  // index of its last character.
  std::size_t escape(std::size_t i, std::string &text) const {
    const auto bad = [&] { fail_at(source_, i, "invalid escape in quoted string"); };
    if (i + 1 >= source_.size()) {
      bad();
    }
    const char c = source_[++i];
    static constexpr std::string_view kFrom = "abfnrtv\\'\"";
    static constexpr std::string_view kTo = "\a\b\f\n\r\t\v\\'\"";
    if (const auto simple = kFrom.find(c); simple != std::string_view::npos) {
      text += kTo[simple];
      return i;
    }
    std::size_t digits = 0;
    int base = 16;
    switch (c) {
    case 'x': digits = 2; break;
    case 'u': digits = 4; break;
    case 'U': digits = 8; break;
    default:
      if (c < '0' || c > '7') {
        bad();
      }
      digits = 3;
      base = 8;
      --i; // the first octal digit is part of the number
    }
    if (i + digits >= source_.size()) {
      bad();
    }
    const std::string number(source_.substr(i + 1, digits));
    char *stop = nullptr;
    const auto code = std::strtoul(number.c_str(), &stop, base);
    if (stop != number.c_str() + number.size()) {
      bad();
    }
    if (c == 'x' || base == 8) {
      text += static_cast<char>(code); // a byte, as in Go
    } else {
      append_utf8(text, static_cast<std::uint32_t>(code));
    }
    return i + digits;
  }

  static std::optional<std::uint32_t> first_code_point(const std::string &text) {
    if (text.empty()) {
      return std::nullopt;
    }
    const auto lead = static_cast<unsigned char>(text[0]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (text.size() != length) {
      return std::nullopt;
    }
    std::uint32_t code = length == 1 ? lead : lead & (0x3F >> (length - 1));
    for (std::size_t k = 1; k < length; ++k) {
      code = (code << 6) | (static_cast<unsigned char>(text[k]) & 0x3F);
    }
    return code;
  }

  std::string_view source_;
  std::size_t at_;
};

// Where a {{/* comment */}} ends (after its "}}"), and whether it trims.
std::size_t skip_comment(std::string_view source, std::size_t at, bool &trim_after) {
  const auto end = source.find("*/", at + 2);
  if (end == std::string_view::npos) {
    fail_at(source, at, "unclosed comment");
  }
  auto close = end + 2;
  trim_after = source.substr(close, 4) == " -}}";
  if (trim_after) {
    close += 2;
  }
  if (source.substr(close, 2) != "}}") {
    fail_at(source, end, "comment ends before closing delimiter");
  }
  return close + 2;
}

void trim_right(std::string &text) {
  while (!text.empty() && is_space(text.back())) {
    text.pop_back();
  }
}

void trim_left(std::string &text) {
  std::size_t from = 0;
  while (from < text.size() && is_space(text[from])) {
    ++from;
  }
  text.erase(0, from);
}

} // namespace

std::vector<Item> lex(std::string_view source, bool text_escapes) {
  std::vector<Item> items;
  bool trim_next = false;
  std::size_t at = 0;
  while (at <= source.size()) {
    const auto open = source.find("{{", at);
    const auto text_end = open == std::string_view::npos ? source.size() : open;
    Item text{false, at, std::string(source.substr(at, text_end - at)), {}};
    if (text_escapes) {
      text.text = expand_text_escapes(text.text);
    }
    if (trim_next) {
      trim_left(text.text);
    }
    const bool trim_before = open != std::string_view::npos && source.substr(open + 2, 1) == "-" &&
                             open + 3 < source.size() && is_space(source[open + 3]);
    if (trim_before) {
      trim_right(text.text);
    }
    if (!text.text.empty()) {
      items.push_back(std::move(text));
    }
    if (open == std::string_view::npos) {
      break;
    }
    auto inner = open + (trim_before ? 3 : 2);
    while (inner < source.size() && is_space(source[inner])) {
      ++inner;
    }
    if (source.substr(inner, 2) == "/*") {
      at = skip_comment(source, inner, trim_next);
      continue;
    }
    ActionLexer lexer(source, open + (trim_before ? 3 : 2));
    at = lexer.run();
    trim_next = lexer.trim_after;
    items.push_back(Item{true, open, {}, std::move(lexer.tokens), lexer.close});
  }
  return items;
}

} // namespace berth::go_template
