#include "format/go_template_value.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace berth::go_template {
namespace {

std::string number_text(const nlohmann::json &value) {
  if (!value.is_number_float()) {
    return value.dump();
  }
  const auto number = value.get<double>();
  // Within 2^53 a whole double is exact; print it as the integer it is.
  if (std::isfinite(number) && number == std::trunc(number) && std::fabs(number) < 9.007e15) {
    return std::to_string(static_cast<long long>(number));
  }
  if (std::isinf(number)) {
    return number > 0 ? "+Inf" : "-Inf";
  }
  if (std::isnan(number)) {
    return "NaN";
  }
  std::array<char, 32> text{};
  const auto end = std::to_chars(text.data(), text.data() + text.size(), number).ptr;
  return {text.data(), end};
}

} // namespace

std::string format_value(const nlohmann::json &value) {
  switch (value.type()) {
  case nlohmann::json::value_t::null: return "<nil>";
  case nlohmann::json::value_t::string: return value.get<std::string>();
  case nlohmann::json::value_t::boolean: return value.get<bool>() ? "true" : "false";
  case nlohmann::json::value_t::array: {
    std::string text = "[";
    for (const auto &element : value) {
      text += (text.size() > 1 ? " " : "") + format_value(element);
    }
    return text + "]";
  }
  case nlohmann::json::value_t::object: {
    std::string text = "map[";
    for (const auto &[key, element] : value.items()) {
      text += (text.size() > 4 ? " " : "") + key + ":" + format_value(element);
    }
    return text + "]";
  }
  default: return number_text(value);
  }
}

std::string print_value(const nlohmann::json &value) {
  return value.is_null() ? "<no value>" : format_value(value);
}

bool is_true(const nlohmann::json &value) {
  switch (value.type()) {
  case nlohmann::json::value_t::null: return false;
  case nlohmann::json::value_t::boolean: return value.get<bool>();
  case nlohmann::json::value_t::string: return !value.get_ref<const std::string &>().empty();
  case nlohmann::json::value_t::array:
  case nlohmann::json::value_t::object: return !value.empty();
  default: return value.get<double>() != 0;
  }
}

std::string type_name(const nlohmann::json &value) {
  if (value.is_number()) {
    return "number";
  }
  if (value.is_null()) {
    return "nil";
  }
  return value.type_name();
}

} // namespace berth::go_template
