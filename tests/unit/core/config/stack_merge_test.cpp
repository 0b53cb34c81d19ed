// A stack file over the built-in defaults: it says only what differs, a key
// set to null removes an inherited entry, and mistakes name the file they
// are in, the user's or the built-in one.
#include "config/stack.hpp"
#include "plugin/registry.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

constexpr const char *kHeader = "apiVersion: berth/v1\nkind: Stack\n";

StackLoad merged(const std::string &body) {
  return parse_stack(kHeader + body, "mine.yaml", "/", &builtin_default_tree());
}

Stack merged_stack(const std::string &body) {
  auto loaded = merged(body);
  EXPECT_TRUE(loaded.stack.has_value()) << to_lines(loaded.diagnostics);
  return loaded.stack.value_or(Stack{});
}

std::vector<std::string> network_names(const Stack &stack) {
  std::vector<std::string> names;
  for (const auto &network : stack.network->networks) {
    names.push_back(network.name);
  }
  return names;
}

TEST(StackMerge, ARuntimeDefaultAloneKeepsEveryBackendAndTheOtherSections) {
  const auto stack = merged_stack("runtime: { default: crun }\n");
  EXPECT_EQ(stack.runtime->default_backend, "crun");
  EXPECT_EQ(stack.runtime->backends.size(), 3U);
  EXPECT_EQ(stack.runtime->backends.at("crun").plugin, "oci");
  ASSERT_TRUE(stack.storage.has_value());
  EXPECT_EQ(stack.storage->plugin, "overlay2");
  EXPECT_EQ(stack.network->default_network, "bridge");
  ASSERT_TRUE(stack.scheduler.has_value());
  EXPECT_EQ(stack.scheduler->profiles.size(), 2U);
}

TEST(StackMerge, ANetworkDefaultAloneKeepsTheNetworks) {
  const auto stack = merged_stack("network: { default: host }\n");
  EXPECT_EQ(stack.network->default_network, "host");
  EXPECT_EQ(network_names(stack), (std::vector<std::string>{"bridge", "host", "none"}));
}

TEST(StackMerge, AKeySetToNullRemovesTheInheritedEntry) {
  const auto stack = merged_stack("runtime: { backends: { runc: null } }\nscheduler: null\n");
  EXPECT_EQ(stack.runtime->backends.count("runc"), 0U);
  EXPECT_EQ(stack.runtime->backends.size(), 2U);
  EXPECT_EQ(stack.runtime->default_backend, "namespaces");
  EXPECT_FALSE(stack.scheduler.has_value());
}

TEST(StackMerge, ANullOnANewNameStillNamesThePluginOfThatName) {
  const auto stack = merged_stack("runtime: { backends: { youki: null } }\n");
  ASSERT_EQ(stack.runtime->backends.count("youki"), 1U);
  EXPECT_EQ(stack.runtime->backends.at("youki").plugin, "youki");
}

TEST(StackMerge, OptionsMergeKeyByKeyWhileThePluginStays) {
  const auto stack = merged_stack("runtime: { backends: { crun: { options: { root: /x } } } }\n");
  const auto &crun = stack.runtime->backends.at("crun");
  EXPECT_EQ(crun.plugin, "oci");
  ASSERT_NE(crun.options_node.find("binary"), nullptr);
  EXPECT_EQ(crun.options_node.find("binary")->scalar, "crun");
  ASSERT_NE(crun.options_node.find("root"), nullptr);
  EXPECT_EQ(crun.options_node.find("root")->scalar, "/x");
}

TEST(StackMerge, AnotherPluginDoesNotInheritTheOldOnesOptions) {
  const auto stack = merged_stack("runtime: { backends: { crun: { plugin: namespaces } } }\n");
  const auto &crun = stack.runtime->backends.at("crun");
  EXPECT_EQ(crun.plugin, "namespaces");
  EXPECT_EQ(crun.options_node.kind, ConfigNode::Kind::null);
}

TEST(StackMerge, AListReplacesTheInheritedOneAndItsDefault) {
  const auto stack = merged_stack("network:\n  networks:\n    - { name: only, driver: bridge }\n");
  EXPECT_EQ(network_names(stack), (std::vector<std::string>{"only"}));
  EXPECT_EQ(stack.network->default_network, "only");
}

TEST(StackMerge, AReplacedListOfTwoAsksWhichIsTheDefault) {
  auto loaded = merged("network:\n  networks:\n    - { name: a, driver: bridge }\n"
                       "    - { name: b, driver: host }\n");
  ASSERT_EQ(loaded.diagnostics.size(), 1U) << to_lines(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].to_string(),
            "mine.yaml:4:3: network: missing required key 'default' (choose one of: a, b)");
}

TEST(StackMerge, TheHeaderIsStillTheFilesOwn) {
  auto loaded =
      parse_stack("runtime: { default: crun }\n", "mine.yaml", "/", &builtin_default_tree());
  ASSERT_FALSE(loaded.stack.has_value());
  EXPECT_EQ(loaded.diagnostics[0].to_string(),
            "mine.yaml:1:1: apiVersion: missing required key 'apiVersion'");
}

TEST(StackMerge, MistakesNameTheFileTheyAreIn) {
  auto loaded = merged("storage: { driver: overlay3 }\n");
  ASSERT_TRUE(loaded.stack.has_value());
  const PluginRegistry empty;
  const auto diagnostics = resolve_stack(*loaded.stack, empty);
  ASSERT_FALSE(diagnostics.empty());
  bool user_file = false;
  bool builtin = false;
  for (const auto &diagnostic : diagnostics) {
    if (diagnostic.path == "storage.driver") {
      user_file = true;
      EXPECT_EQ(diagnostic.file, "mine.yaml");
      EXPECT_EQ(diagnostic.at.line, 3);
    } else {
      builtin = true;
      EXPECT_EQ(diagnostic.file, kBuiltinStackName) << diagnostic.to_string();
      EXPECT_GT(diagnostic.at.line, 0) << diagnostic.to_string();
    }
  }
  EXPECT_TRUE(user_file);
  EXPECT_TRUE(builtin);
}

TEST(StackMerge, WithoutDefaultsAPartialSectionIsStillIncomplete) {
  auto loaded =
      parse_stack(std::string(kHeader) + "runtime: { default: crun }\n", "mine.yaml", "/");
  ASSERT_FALSE(loaded.stack.has_value());
  EXPECT_NE(to_lines(loaded.diagnostics).find("missing required key 'backends'"), std::string::npos)
      << to_lines(loaded.diagnostics);
}

} // namespace
} // namespace berth
