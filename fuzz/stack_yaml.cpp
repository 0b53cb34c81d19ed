// The stack file (YAML) as `berth --stack FILE` reads it, merged over the
// built-in default, and on its own; and what `berth config show` writes of it.
#include "fuzz_target.hpp"

#include "config/stack.hpp"

#include <string>

namespace {

// Relative plugin paths resolve against this; it does not exist, so only
// absolute ones can name a directory.
constexpr const char *kBaseDir = "/nonexistent/berth-fuzz";

void load(const std::string &text, const berth::ConfigNode *defaults) {
  const auto load = berth::parse_stack(text, "stack.yaml", kBaseDir, defaults);
  if (!load.stack) {
    BERTH_FUZZ_CHECK(!load.diagnostics.empty());
    for (const auto &diagnostic : load.diagnostics) {
      BERTH_FUZZ_CHECK(!diagnostic.message.empty());
    }
    return;
  }
  // What `config show` prints must load again as the same stack, or a user
  // who saves it cannot use it.
  const auto shown = berth::stack_to_yaml(*load.stack);
  const auto again = berth::parse_stack(shown, "shown.yaml", kBaseDir, defaults);
  BERTH_FUZZ_CHECK(again.stack.has_value());
  BERTH_FUZZ_CHECK(berth::stack_to_yaml(*again.stack) == shown);
}

} // namespace

BERTH_FUZZ_TARGET(stack_yaml) {
  const std::string text(berth::fuzz::text_of(data, size));
  load(text, &berth::builtin_default_tree());
  load(text, nullptr);
  return 0;
}
