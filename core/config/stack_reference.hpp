// The Markdown reference of the stack file and of every loaded plugin's
// options; docs/stack.md is this text.
#pragma once

#include <string>

namespace berth {

class PluginRegistry;

std::string stack_reference_markdown(const PluginRegistry &registry);

} // namespace berth
