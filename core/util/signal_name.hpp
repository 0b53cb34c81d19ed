// Signals as Docker users write them: "TERM", "SIGTERM", "15".
#pragma once

#include <optional>
#include <string_view>

namespace berth {

// The signal number, or nullopt for a name or number Linux does not have.
std::optional<int> parse_signal(std::string_view text);

} // namespace berth
