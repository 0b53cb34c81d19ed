// Tab-separated cells aligned into columns, the way Go's text/tabwriter lays
// out docker's `table` formats.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth {

// Each tab ends a cell; a line's last cell (after its last tab) does not take
// part in the alignment. A column runs down consecutive lines that have a
// cell in it and is as wide as its widest cell plus padding, but at least
// min_width. Widths count characters, not bytes.
std::string align_columns(std::string_view text, std::size_t min_width, std::size_t padding);

} // namespace berth
