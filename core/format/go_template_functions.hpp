// The functions a template may call: Go's builtins (index, len, printf, eq,
// and, ...) and the ones docker adds for --format (json, join, lower, ...).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace berth::go_template {

// The longest text, and the most elements, any value a template makes may
// have: far above what a --format prints, far below what would exhaust memory.
inline constexpr std::size_t kMaxText = std::size_t{16} << 20;

bool is_function(std::string_view name);

// Calls a function other than and/or (which the executor short-circuits).
// Throws std::invalid_argument with Go's wording for a wrong call; the
// executor adds the place.
nlohmann::json call_function(std::string_view name, const std::vector<nlohmann::json> &args);

// Go's fmt.Sprintf over JSON values, for the verbs templates use.
std::string sprintf_values(std::string_view format, const std::vector<nlohmann::json> &args);

} // namespace berth::go_template
