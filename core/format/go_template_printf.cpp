// Go's fmt.Sprintf for the verbs --format templates use, over JSON values.
#include "format/go_template_functions.hpp"
#include "format/go_template_value.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

namespace berth::go_template {
namespace {

using json = nlohmann::json;

// Go's fmt refuses a width or precision above a million (its tooLarge): such
// a number is a typo, and padding to it would allocate that much per value.
constexpr int kMaxCount = 1'000'000;
constexpr int kTooLarge = kMaxCount + 1;

struct Spec {
  bool minus = false; // pad on the right
  bool plus = false;  // always a sign
  bool zero = false;  // pad numbers with zeros
  bool space = false; // a space where a + would be
  int width = -1;
  int precision = -1;
  char verb = 'v';
};

std::size_t code_points(const std::string &text) {
  std::size_t count = 0;
  for (const char c : text) {
    count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return count;
}

// The first n code points of text.
std::string first_code_points(const std::string &text, std::size_t n) {
  std::size_t at = 0;
  for (std::size_t seen = 0; at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xC0) != 0x80 && seen++ == n) {
      break;
    }
  }
  return text.substr(0, at);
}

std::string quote(const std::string &text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        std::array<char, 8> hex{};
        std::snprintf(hex.data(), hex.size(), "\\x%02x", static_cast<unsigned char>(c));
        out += hex.data();
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

std::string bad_verb(char verb, const json &arg) {
  return std::string("%!") + verb + "(" + type_name(arg) + "=" + format_value(arg) + ")";
}

bool is_whole(const json &arg) {
  return arg.is_number_integer() ||
         (arg.is_number_float() && std::trunc(arg.get<double>()) == arg.get<double>() &&
          std::fabs(arg.get<double>()) < 9.2e18);
}

std::string signed_text(const std::string &digits, bool negative, const Spec &spec) {
  if (negative) {
    return "-" + digits;
  }
  return (spec.plus ? "+" : spec.space ? " " : "") + digits;
}

std::string integer(const json &arg, const Spec &spec) {
  const auto value = arg.is_number_unsigned() ? 0 : arg.get<std::int64_t>();
  // Negated as unsigned: the most negative int64 has no positive twin.
  const auto magnitude = arg.is_number_unsigned() ? arg.get<std::uint64_t>()
                         : value < 0              ? 0 - static_cast<std::uint64_t>(value)
                                                  : static_cast<std::uint64_t>(value);
  const char *pattern = spec.verb == 'x'   ? "%llx"
                        : spec.verb == 'X' ? "%llX"
                        : spec.verb == 'o' ? "%llo"
                                           : "%llu";
  std::string digits;
  if (spec.verb == 'b') {
    for (auto rest = magnitude; rest != 0 || digits.empty(); rest /= 2) {
      digits.insert(digits.begin(), static_cast<char>('0' + (rest % 2)));
    }
  } else {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), pattern, static_cast<unsigned long long>(magnitude));
    digits = text.data();
  }
  return signed_text(digits, value < 0, spec);
}

std::string floating(const json &arg, const Spec &spec) {
  const auto value = arg.get<double>();
  if (spec.verb == 'g' && spec.precision < 0) {
    return signed_text(format_value(std::fabs(value)), std::signbit(value), spec);
  }
  const std::string pattern =
      std::string("%.") + std::to_string(spec.precision < 0 ? 6 : spec.precision) + spec.verb;
  // As long as the precision asks: "%.40f" of 1e300 is over 300 digits.
  std::string text(
      static_cast<std::size_t>(std::snprintf(nullptr, 0, pattern.c_str(), std::fabs(value))), '\0');
  std::snprintf(text.data(), text.size() + 1, pattern.c_str(), std::fabs(value));
  return signed_text(text, std::signbit(value), spec);
}

std::string hex_bytes(const std::string &text, bool upper) {
  std::string out;
  for (const char c : text) {
    std::array<char, 4> hex{};
    std::snprintf(hex.data(), hex.size(), upper ? "%02X" : "%02x", static_cast<unsigned char>(c));
    out += hex.data();
  }
  return out;
}

std::string one(const Spec &spec, const json &arg) {
  switch (spec.verb) {
  case 'v': return format_value(arg);
  case 's':
    // Go would print %!s(float64=1) for a number; a template author who
    // wrote %s wants the number, so every value prints as %v does.
    return spec.precision < 0 ? format_value(arg)
                              : first_code_points(format_value(arg), spec.precision);
  case 'q': return quote(format_value(arg));
  case 't': return arg.is_boolean() ? format_value(arg) : bad_verb(spec.verb, arg);
  case 'd':
  case 'o':
  case 'b':
    return is_whole(arg)
               ? integer(arg.is_number_float() ? json(arg.get<std::int64_t>()) : arg, spec)
               : bad_verb(spec.verb, arg);
  case 'x':
  case 'X':
    if (arg.is_string()) {
      return hex_bytes(arg.get<std::string>(), spec.verb == 'X');
    }
    return is_whole(arg)
               ? integer(arg.is_number_float() ? json(arg.get<std::int64_t>()) : arg, spec)
               : bad_verb(spec.verb, arg);
  case 'f':
  case 'F':
  case 'e':
  case 'E':
  case 'g':
  case 'G': return arg.is_number() ? floating(arg, spec) : bad_verb(spec.verb, arg);
  default: return bad_verb(spec.verb, arg);
  }
}

std::string padded(std::string text, const Spec &spec) {
  const auto length = code_points(text);
  if (spec.width < 0 || length >= static_cast<std::size_t>(spec.width)) {
    return text;
  }
  const auto fill = static_cast<std::size_t>(spec.width) - length;
  if (spec.minus) {
    return text + std::string(fill, ' ');
  }
  const bool numeric = spec.verb != 's' && spec.verb != 'q' && spec.verb != 'v';
  if (spec.zero && numeric) {
    const std::size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
    return text.insert(sign, fill, '0');
  }
  return std::string(fill, ' ') + text;
}

// Reads a number or `*` (the next argument) at format[at]: -1 when there is
// neither, kTooLarge for an argument above kMaxCount.
int count(std::string_view format, std::size_t &at, const std::vector<json> &args,
          std::size_t &next_arg) {
  if (at < format.size() && format[at] == '*') {
    ++at;
    if (next_arg >= args.size() || !args[next_arg].is_number_integer()) {
      return -1;
    }
    const auto &arg = args[next_arg++];
    const auto value = arg.is_number_unsigned() ? std::numeric_limits<std::int64_t>::max()
                                                : arg.get<std::int64_t>();
    return value > kMaxCount || value < -kMaxCount ? kTooLarge : static_cast<int>(value);
  }
  int value = -1;
  while (at < format.size() && format[at] >= '0' && format[at] <= '9') {
    if (value > kMaxCount) {
      at = format.size(); // as Go does: the rest is lost and the verb missing
      return -1;
    }
    value = (value < 0 ? 0 : value * 10) + (format[at++] - '0');
  }
  return value;
}

Spec read_spec(std::string_view format, std::size_t &at, const std::vector<json> &args,
               std::size_t &next_arg) {
  Spec spec;
  for (; at < format.size(); ++at) {
    const char c = format[at];
    if (c == '-') {
      spec.minus = true;
    } else if (c == '+') {
      spec.plus = true;
    } else if (c == '0') {
      spec.zero = true;
    } else if (c == ' ') {
      spec.space = true;
    } else if (c != '#') {
      break;
    }
  }
  spec.width = count(format, at, args, next_arg);
  if (at < format.size() && format[at] == '.') {
    ++at;
    spec.precision = std::max(0, count(format, at, args, next_arg));
  }
  spec.verb = at < format.size() ? format[at] : '\0';
  return spec;
}

} // namespace

std::string sprintf_values(std::string_view format, const std::vector<json> &args) {
  std::string out;
  std::size_t next_arg = 0;
  for (std::size_t at = 0; at < format.size(); ++at) {
    if (format[at] != '%') {
      out += format[at];
      continue;
    }
    ++at;
    auto spec = read_spec(format, at, args, next_arg);
    if (spec.width == kTooLarge) {
      out += "%!(BADWIDTH)";
      spec.width = -1;
    }
    if (spec.precision == kTooLarge) {
      out += "%!(BADPREC)";
      spec.precision = -1;
    }
    if (spec.verb == '\0') {
      out += "%!(NOVERB)";
    } else if (spec.verb == '%') {
      out += '%';
    } else if (next_arg >= args.size()) {
      out += std::string("%!") + spec.verb + "(MISSING)";
    } else {
      out += padded(one(spec, args[next_arg++]), spec);
    }
    if (out.size() > kMaxText) {
      throw std::invalid_argument("error calling printf: the result would be longer than " +
                                  std::to_string(kMaxText) + " bytes");
    }
  }
  if (next_arg < args.size()) {
    out += "%!(EXTRA ";
    for (auto i = next_arg; i < args.size(); ++i) {
      out += (i > next_arg ? ", " : "") + type_name(args[i]) + "=" + format_value(args[i]);
    }
    out += ")";
  }
  return out;
}

} // namespace berth::go_template
