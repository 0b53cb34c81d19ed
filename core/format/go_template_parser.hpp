// Turns lexed items into the template's tree, checking what Go checks at
// parse time: known functions, declared variables, balanced if/range/with.
#pragma once

#include "format/go_template_lexer.hpp"
#include "format/go_template_tree.hpp"

namespace berth::go_template {

// Throws TemplateError naming the line and column.
std::vector<Node> parse_items(std::string_view source, const std::vector<Item> &items);

} // namespace berth::go_template
