#include "format/go_template_functions.hpp"

#include "format/go_template_value.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <stdexcept>

namespace berth::go_template {
namespace {

using json = nlohmann::json;
using Args = std::vector<json>;

struct Function {
  std::size_t min_args;
  std::size_t max_args; // kVariadic: no limit
  std::function<json(const Args &)> call;
};

constexpr std::size_t kVariadic = static_cast<std::size_t>(-1);

[[noreturn]] void fail(const std::string &function, const std::string &message) {
  throw std::invalid_argument("error calling " + function + ": " + message);
}

// Appends to text that grows with the arguments, failing past kMaxText.
void append(std::string &out, const std::string &text, const std::string &function) {
  if (out.size() + text.size() > kMaxText) {
    fail(function, "the result would be longer than " + std::to_string(kMaxText) + " bytes");
  }
  out += text;
}

const std::string &string_arg(const std::string &function, const json &arg) {
  if (!arg.is_string()) {
    fail(function, "wrong type for value; expected string; got " + type_name(arg));
  }
  return arg.get_ref<const std::string &>();
}

std::int64_t int_arg(const std::string &function, const json &arg) {
  if (!arg.is_number_integer()) {
    fail(function, "wrong type for value; expected int; got " + type_name(arg));
  }
  return arg.get<std::int64_t>();
}

json index_one(const json &item, const json &key) {
  if (item.is_null()) {
    fail("index", "index of untyped nil");
  }
  if (item.is_object()) {
    if (!key.is_string()) {
      fail("index", "value has type " + type_name(key) + "; should be string");
    }
    const auto found = item.find(key.get<std::string>());
    return found == item.end() ? json() : *found;
  }
  if (!item.is_array()) {
    fail("index", "can't index item of type " + type_name(item));
  }
  if (!key.is_number_integer()) {
    fail("index", "cannot index slice/array with type " + type_name(key));
  }
  const auto at = key.get<std::int64_t>();
  if (at < 0 || static_cast<std::size_t>(at) >= item.size()) {
    fail("index", "index out of range: " + std::to_string(at));
  }
  return item[static_cast<std::size_t>(at)];
}

json index(const Args &args) {
  json item = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    item = index_one(item, args[i]);
  }
  return item;
}

json length(const Args &args) {
  const auto &item = args[0];
  if (item.is_string()) {
    return item.get_ref<const std::string &>().size();
  }
  if (item.is_array() || item.is_object()) {
    return item.size();
  }
  fail("len", "len of type " + type_name(item));
}

json slice(const Args &args) {
  const auto &item = args[0];
  if (!item.is_string() && !item.is_array()) {
    fail("slice", "can't slice item of type " + type_name(item));
  }
  const auto size =
      static_cast<std::int64_t>(item.is_string() ? item.get<std::string>().size() : item.size());
  const auto from = args.size() > 1 ? int_arg("slice", args[1]) : 0;
  const auto to = args.size() > 2 ? int_arg("slice", args[2]) : size;
  if (from < 0 || to < from || to > size) {
    fail("slice", "index out of range: " + std::to_string(from) + ":" + std::to_string(to));
  }
  if (item.is_string()) {
    return item.get<std::string>().substr(static_cast<std::size_t>(from),
                                          static_cast<std::size_t>(to - from));
  }
  return {item.begin() + from, item.begin() + to};
}

// Go compares only basic values, and those only with their own kind.
enum class Kind { null, boolean, number, string, other };

Kind kind_of(const json &value) {
  if (value.is_null()) {
    return Kind::null;
  }
  if (value.is_boolean()) {
    return Kind::boolean;
  }
  if (value.is_number()) {
    return Kind::number;
  }
  return value.is_string() ? Kind::string : Kind::other;
}

bool equal(const json &a, const json &b) {
  const auto ka = kind_of(a);
  const auto kb = kind_of(b);
  if (ka == Kind::other || kb == Kind::other) {
    fail("eq", "non-comparable type " + type_name(ka == Kind::other ? a : b));
  }
  if (ka != kb) {
    if (ka == Kind::null || kb == Kind::null) {
      return false;
    }
    fail("eq", "incompatible types for comparison");
  }
  return a == b;
}

json eq(const Args &args) {
  if (args.size() < 2) {
    fail("eq", "missing argument for comparison");
  }
  return std::any_of(args.begin() + 1, args.end(),
                     [&](const json &other) { return equal(args[0], other); });
}

// lt, le, gt, ge: numbers with numbers, strings with strings.
json order(const std::string &name, const Args &args, const std::function<bool(int)> &holds) {
  const auto ka = kind_of(args[0]);
  if (ka != Kind::number && ka != Kind::string) {
    fail(name, "invalid type for comparison");
  }
  if (ka != kind_of(args[1])) {
    fail(name, "incompatible types for comparison");
  }
  const int sign = args[0] < args[1] ? -1 : args[1] < args[0] ? 1 : 0;
  return holds(sign);
}

// fmt.Sprint: a space between two operands when neither is a string.
json print(const Args &args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && !args[i].is_string() && !args[i - 1].is_string()) {
      out += ' ';
    }
    append(out, format_value(args[i]), "print");
  }
  return out;
}

json println(const Args &args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    append(out, (i > 0 ? " " : "") + format_value(args[i]), "println");
  }
  return out + "\n";
}

// docker's join: the elements of a list, formatted, between separators.
json join(const Args &args) {
  const auto &separator = string_arg("join", args[1]);
  if (args[0].is_string()) {
    return args[0];
  }
  if (!args[0].is_array()) {
    fail("join", "wrong type for value; expected []string; got " + type_name(args[0]));
  }
  std::string out;
  for (std::size_t i = 0; i < args[0].size(); ++i) {
    append(out, (i > 0 ? separator : "") + format_value(args[0][i]), "join");
  }
  return out;
}

json split(const Args &args) {
  const auto &text = string_arg("split", args[0]);
  const auto &separator = string_arg("split", args[1]);
  json parts = json::array();
  if (separator.empty()) {
    for (std::size_t at = 0; at < text.size();) {
      auto next = at + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) {
        ++next;
      }
      parts.push_back(text.substr(at, next - at));
      at = next;
      if (parts.size() > kMaxText / 16) {
        fail("split", "more than " + std::to_string(kMaxText / 16) + " parts");
      }
    }
    return parts;
  }
  std::size_t from = 0;
  for (auto at = text.find(separator); at != std::string::npos; at = text.find(separator, from)) {
    parts.push_back(text.substr(from, at - from));
    from = at + separator.size();
    if (parts.size() > kMaxText / 16) {
      fail("split", "more than " + std::to_string(kMaxText / 16) + " parts");
    }
  }
  parts.push_back(text.substr(from));
  return parts;
}

json change_case(const std::string &name, const Args &args, int (*change)(int)) {
  auto text = string_arg(name, args[0]);
  std::transform(text.begin(), text.end(), text.begin(),
                 [&](char c) { return static_cast<char>(change(static_cast<unsigned char>(c))); });
  return text;
}

// docker's title: each word's first letter upper-cased, the rest left alone.
json title(const Args &args) {
  auto text = string_arg("title", args[0]);
  bool word_start = true;
  for (auto &c : text) {
    const bool letter = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '\'';
    if (letter && word_start) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    word_start = !letter && (static_cast<unsigned char>(c) & 0x80) == 0;
  }
  return text;
}

// docker's truncate: the first n characters.
json truncate(const Args &args) {
  const auto &text = string_arg("truncate", args[0]);
  const auto limit = int_arg("truncate", args[1]);
  std::size_t at = 0;
  for (std::int64_t seen = 0; at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xC0) != 0x80 && seen++ == limit) {
      break;
    }
  }
  return text.substr(0, at);
}

json pad(const Args &args) {
  const auto &text = string_arg("pad", args[0]);
  const auto before = std::max<std::int64_t>(0, int_arg("pad", args[1]));
  const auto after = std::max<std::int64_t>(0, int_arg("pad", args[2]));
  const auto most = static_cast<std::int64_t>(kMaxText);
  if (before > most || after > most ||
      before + after + static_cast<std::int64_t>(text.size()) > most) {
    fail("pad", "the result would be longer than " + std::to_string(kMaxText) + " bytes");
  }
  return std::string(static_cast<std::size_t>(before), ' ') + text +
         std::string(static_cast<std::size_t>(after), ' ');
}

const std::map<std::string, Function, std::less<>> &functions() {
  static const std::map<std::string, Function, std::less<>> table = {
      // Go's builtins. and/or short-circuit, so the executor runs them.
      {"and", {1, kVariadic, nullptr}},
      {"or", {1, kVariadic, nullptr}},
      {"not", {1, 1, [](const Args &a) { return json(!is_true(a[0])); }}},
      {"index", {1, kVariadic, index}},
      {"len", {1, 1, length}},
      {"slice", {1, 3, slice}},
      {"print", {0, kVariadic, print}},
      {"println", {0, kVariadic, println}},
      {"printf",
       {1, kVariadic,
        [](const Args &a) {
          return json(sprintf_values(string_arg("printf", a[0]), Args(a.begin() + 1, a.end())));
        }}},
      {"eq", {1, kVariadic, eq}},
      {"ne", {2, 2, [](const Args &a) { return json(!eq(a).get<bool>()); }}},
      {"lt", {2, 2, [](const Args &a) { return order("lt", a, [](int s) { return s < 0; }); }}},
      {"le", {2, 2, [](const Args &a) { return order("le", a, [](int s) { return s <= 0; }); }}},
      {"gt", {2, 2, [](const Args &a) { return order("gt", a, [](int s) { return s > 0; }); }}},
      {"ge", {2, 2, [](const Args &a) { return order("ge", a, [](int s) { return s >= 0; }); }}},
      // docker's additions for --format.
      {"json",
       {1, 1,
        [](const Args &a) {
          return json(a[0].dump(-1, ' ', false, json::error_handler_t::replace));
        }}},
      {"join", {2, 2, join}},
      {"split", {2, 2, split}},
      {"lower", {1, 1, [](const Args &a) { return change_case("lower", a, ::tolower); }}},
      {"upper", {1, 1, [](const Args &a) { return change_case("upper", a, ::toupper); }}},
      {"title", {1, 1, title}},
      {"truncate", {2, 2, truncate}},
      {"pad", {3, 3, pad}},
  };
  return table;
}

} // namespace

bool is_function(std::string_view name) {
  return functions().contains(name);
}

json call_function(std::string_view name, const std::vector<json> &args) {
  const auto &function = functions().find(name)->second;
  if (args.size() < function.min_args || args.size() > function.max_args) {
    const auto want = function.min_args == function.max_args
                          ? std::to_string(function.min_args)
                          : "at least " + std::to_string(function.min_args);
    throw std::invalid_argument("wrong number of args for " + std::string(name) + ": want " + want +
                                " got " + std::to_string(args.size()));
  }
  return function.call(args);
}

} // namespace berth::go_template
