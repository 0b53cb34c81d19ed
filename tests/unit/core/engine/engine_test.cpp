// The engine facade over a real stack file and the real registry.
#include "engine/engine.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

// A stack file is merged over the built-in default, whose plugins are berth's own.
EngineOptions with_builtin_plugins() {
  EngineOptions options;
  options.builtin_plugin_dirs = {BERTH_PLUGIN_DIR};
  return options;
}

TEST(Engine, CommandNeedingAnUnconfiguredKindGetsOneLineNamingTheSection) {
  testing::TempDir dir;
  auto options = with_builtin_plugins();
  // Sections a file leaves out are inherited; one set to null is gone.
  options.stack_file =
      dir.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\nstorage: null\n");
  auto opened = Engine::open(options);
  ASSERT_TRUE(opened.engine) << opened.diagnostics.front().to_string();
  auto needed = opened.engine->require_section(PluginKind::storage);
  ASSERT_FALSE(needed.ok());
  EXPECT_EQ(needed.error().describe(),
            options.stack_file->string() +
                ": the stack has no 'storage' section; add one (see docs/stack.md and "
                "examples/stacks/) or pass --stack FILE");
  EXPECT_EQ(opened.engine->chosen_plugin(PluginKind::storage), "");
}

TEST(Engine, RootFlagOverridesTheStack) {
  testing::TempDir dir;
  auto options = with_builtin_plugins();
  options.stack_file = dir.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\nroot: /a\n");
  options.root = dir.path() / "elsewhere";
  auto opened = Engine::open(options);
  ASSERT_TRUE(opened.engine);
  EXPECT_EQ(opened.engine->root(), dir.path() / "elsewhere");
}

TEST(Engine, PluginsOnlyCheckStillOpensWhenAPluginIsMissing) {
  testing::TempDir dir;
  auto options = with_builtin_plugins();
  options.stack_file = dir.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\n"
                                               "storage: { driver: nothing-here }\n");
  auto strict = Engine::open(options);
  EXPECT_FALSE(strict.engine);
  ASSERT_EQ(strict.diagnostics.size(), 1U);
  auto lenient = Engine::open(options, StackCheck::plugins_only);
  EXPECT_TRUE(lenient.engine);
  EXPECT_EQ(lenient.diagnostics.size(), 1U);
}

} // namespace
} // namespace berth
