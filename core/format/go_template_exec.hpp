// Runs a parsed Go template over a JSON value.
#pragma once

#include "format/go_template_tree.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace berth::go_template {

// Throws TemplateError: "template: :1:3: executing "" at <.A.B>: ...".
std::string execute(const Tree &tree, const nlohmann::json &data);

} // namespace berth::go_template
