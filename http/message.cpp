#include "http/message.hpp"

#include <cctype>

namespace berth::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  const int lower = std::tolower(static_cast<unsigned char>(c));
  return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}

std::string lookup(const std::map<std::string, std::string> &map, const std::string &key) {
  const auto found = map.find(key);
  return found == map.end() ? std::string() : found->second;
}

} // namespace

std::string Request::header(const std::string &lower_case_name) const {
  return lookup(headers, lower_case_name);
}

std::string Request::query_value(const std::string &key) const {
  return lookup(query, key);
}

std::string Request::param(const std::string &name) const {
  return lookup(params, name);
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
      continue;
    }
    if (c == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

void parse_target(std::string_view target, std::string &path,
                  std::map<std::string, std::string> &query) {
  const auto question = target.find('?');
  path = percent_decode(target.substr(0, question), false);
  if (question == std::string_view::npos) {
    return;
  }
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto equals = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, equals), true);
    query[key] = equals == std::string_view::npos ? std::string()
                                                  : percent_decode(pair.substr(equals + 1), true);
  }
}

} // namespace berth::http
