// Kubernetes resource quantities: cpu as "500m" or "2" (cores), memory as
// "512Mi", "1Gi", "1G" or plain bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace berth {

std::optional<std::int64_t> parse_cpu_millis(std::string_view text);
std::optional<std::int64_t> parse_bytes(std::string_view text);

} // namespace berth
