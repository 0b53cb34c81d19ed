// Parsers of individual stack sections, shared by stack_parser.cpp.
#pragma once

#include "config/checker.hpp"
#include "config/stack.hpp"

#include <optional>

namespace berth {

// scheduler: { profiles: [...] }
std::optional<SchedulerSection> parse_scheduler_section(const ConfigNode &node, Checker &check);

} // namespace berth
