// How Go's templates see JSON values: what prints, what is true, what a
// value's type is called in messages.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace berth::go_template {

// What {{pipeline}} prints: a string as it is, a whole number without a
// fraction, [a b] for an array, map[k:v] for an object; null (a missing
// key, like Go's map lookups) as <no value>.
std::string print_value(const nlohmann::json &value);

// The same inside an array or object (fmt's %v), where null is <nil>.
std::string format_value(const nlohmann::json &value);

// Go's truth: false, 0, "", null and empty arrays and objects are false.
bool is_true(const nlohmann::json &value);

// "string", "number", "bool", "array", "object" or "nil", for messages.
std::string type_name(const nlohmann::json &value);

} // namespace berth::go_template
