// Small text helpers shared by the config validator, the registry and the CLI.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Levenshtein distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to word, if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string> &candidates);

// "; did you mean 'x'?" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string> &candidates);

std::string join(const std::vector<std::string> &items, std::string_view separator);

// "a, b, c", or "none" for an empty list.
std::string list_or_none(const std::vector<std::string> &items);

// 64 random hex digits: the id of a container or an anonymous volume.
std::string random_hex_id();

} // namespace berth
