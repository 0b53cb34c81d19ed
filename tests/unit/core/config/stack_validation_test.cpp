// The stack file contract: every bad file is refused with the exact position
// and message a user needs; good files load whole, defaults filled in.
#include "config/stack.hpp"
#include "plugin/registry.hpp"
#include "support/temp_dir.hpp"

#include <berth/sdk/plugin_abi.h>
#include <berth/sdk/toolchain.hpp>

#include <gtest/gtest.h>

namespace berth {
namespace {

// Descriptors of plugins linked into this test: enough for the validator,
// which reads names, kinds and option schemas and never creates an object.
int never_create(void *, const char *, void **, char *message, size_t capacity) {
  std::snprintf(message, capacity, "not for creating");
  return BERTH_ERROR;
}
void never_destroy(void *) {}
int skip_probe(char *reason, size_t capacity) {
  std::snprintf(reason, capacity, "needs the frobnicator filesystem");
  return BERTH_SKIP;
}

constexpr berth_option_spec kStoreOptions[] = {
    {"size", BERTH_OPTION_INT, "0", nullptr, "size limit in bytes"},
    {"mode", BERTH_OPTION_STRING, "\"copy\"", "copy|reflink", "how layers are copied"},
};
constexpr berth_option_spec kNetOptions[] = {
    {"bridge", BERTH_OPTION_STRING, nullptr, nullptr, "bridge device name"},
    {"nat", BERTH_OPTION_BOOL, "true", nullptr, "masquerade outgoing traffic"},
    {"dns", BERTH_OPTION_LIST, "[]", nullptr, "resolvers"},
};
constexpr berth_option_spec kScoreOptions[] = {
    {"spread", BERTH_OPTION_FLOAT, "1.0", nullptr, "how hard to spread"},
};

berth_plugin_descriptor descriptor(uint32_t kind, const char *name,
                                   const berth_option_spec *options, uint32_t count,
                                   berth_probe_fn probe = nullptr) {
  return {sizeof(berth_plugin_descriptor),
          BERTH_ABI_MAJOR,
          BERTH_ABI_MINOR,
          BERTH_TOOLCHAIN_TAG,
          kind,
          name,
          "1.0.0",
          "test plugin",
          options,
          count,
          sizeof(berth_option_spec),
          never_create,
          never_destroy,
          probe};
}

#define TEST_PLUGIN(FUNCTION, ...)                                                                 \
  const berth_plugin_descriptor *FUNCTION() {                                                      \
    static const berth_plugin_descriptor d = descriptor(__VA_ARGS__);                              \
    return &d;                                                                                     \
  }
TEST_PLUGIN(test_store, BERTH_KIND_STORAGE, "test-store", kStoreOptions, 2)
TEST_PLUGIN(test_skipped, BERTH_KIND_STORAGE, "test-skipped", nullptr, 0, skip_probe)
TEST_PLUGIN(test_net, BERTH_KIND_NETWORK, "test-net", kNetOptions, 3)
TEST_PLUGIN(test_runtime, BERTH_KIND_RUNTIME, "test-runtime", nullptr, 0)
TEST_PLUGIN(test_filter, BERTH_KIND_SCHEDULER, "test-filter", nullptr, 0)
TEST_PLUGIN(test_score, BERTH_KIND_SCHEDULER, "test-score", kScoreOptions, 1)

PluginRegistry test_registry() {
  PluginRegistry registry;
  for (auto *entry : {test_store, test_skipped, test_net, test_runtime, test_filter, test_score}) {
    registry.add_builtin(entry);
  }
  return registry;
}

const std::filesystem::path kBadStacks = BERTH_SOURCE_DIR "/tests/fixtures/stacks/bad";

// Loads like the engine does: structure first, then plugins.
Diagnostics load(const std::filesystem::path &file, std::optional<Stack> *out = nullptr) {
  auto loaded = read_stack_file(file);
  if (!loaded.stack) {
    return loaded.diagnostics;
  }
  auto registry = test_registry();
  auto diagnostics = resolve_stack(*loaded.stack, registry);
  if (out != nullptr) {
    *out = std::move(loaded.stack);
  }
  return diagnostics;
}

struct BadStack {
  const char *file;
  const char *expected; // after "FILE:"; {DIR} is the fixture directory
};

void PrintTo(const BadStack &bad, std::ostream *out) {
  *out << bad.file;
}

class BadStackFile : public ::testing::TestWithParam<BadStack> {};

TEST_P(BadStackFile, IsRefusedWithPositionAndMessage) {
  const auto file = kBadStacks / GetParam().file;
  const auto diagnostics = load(file);
  ASSERT_FALSE(diagnostics.empty()) << file << " was accepted";
  std::string expected = file.string() + ":" + GetParam().expected;
  if (auto at = expected.find("{DIR}"); at != std::string::npos) {
    expected.replace(at, 5, kBadStacks.string());
  }
  EXPECT_EQ(diagnostics.front().to_string(), expected);
  EXPECT_EQ(diagnostics.size(), 1U) << diagnostics.back().to_string();
}

INSTANTIATE_TEST_SUITE_P(
    StackValidation, BadStackFile,
    ::testing::Values(
        BadStack{"01-empty.yaml",
                 "1:1: the stack file is empty; start from examples/stacks/default.yaml"},
        BadStack{"02-syntax.yaml", "4:1: invalid YAML: end of map flow not found"},
        BadStack{"03-not-a-mapping.yaml", "1:1: expected a mapping, got a list"},
        BadStack{"04-missing-api-version.yaml",
                 "1:1: apiVersion: missing required key 'apiVersion'"},
        BadStack{"05-unsupported-api-version.yaml",
                 "1:13: apiVersion: unsupported apiVersion 'berth/v2'; this berth reads "
                 "'berth/v1'"},
        BadStack{"06-wrong-kind.yaml", "2:7: kind: expected 'Stack', got 'Pod'"},
        BadStack{"07-unknown-top-level-key.yaml",
                 "3:1: stroage: unknown key 'stroage'; did you mean 'storage'? (allowed: "
                 "apiVersion, kind, root, plugins, storage, runtime, network, scheduler, "
                 "logging)"},
        BadStack{"08-duplicate-key.yaml", "4:1: duplicate key 'storage'"},
        BadStack{"09-relative-root.yaml",
                 "3:7: root: must be an absolute path, got 'var/lib/berth'"},
        BadStack{"10-root-is-a-list.yaml", "3:7: root: expected a value, got a list"},
        BadStack{"11-missing-plugin-directory.yaml",
                 "3:20: plugins.paths[0]: no such directory '{DIR}/no-such-plugins'"},
        BadStack{"12-storage-is-a-value.yaml", "3:10: storage: expected a mapping, got a value"},
        BadStack{"13-storage-without-driver.yaml", "4:3: storage: missing required key 'driver'"},
        BadStack{"14-unknown-storage-plugin.yaml",
                 "4:11: storage.driver: no storage plugin named 'test-stor' (have: test-skipped, "
                 "test-store); did you mean 'test-store'?"},
        BadStack{"15-plugin-of-wrong-kind.yaml",
                 "4:11: storage.driver: 'test-net' is a network plugin, not a storage plugin "
                 "(have: test-skipped, test-store)"},
        BadStack{"16-unknown-plugin-option.yaml",
                 "6:5: storage.options.sizee: unknown option 'sizee' for plugin 'test-store'; "
                 "did you mean 'size'? (options: size, mode)"},
        BadStack{"17-option-of-wrong-type.yaml",
                 "6:11: storage.options.size: expected int, got 'big'"},
        BadStack{"18-option-not-a-choice.yaml",
                 "5:30: storage.options.mode: 'fast' is not one of: copy, reflink"},
        BadStack{"19-missing-required-option.yaml",
                 "6:15: network.networks[0].options: plugin 'test-net' requires option "
                 "'bridge' (bridge device name)"},
        BadStack{"20-unknown-runtime-default.yaml",
                 "4:12: runtime.default: 'crun' is not defined in this section (have: "
                 "test-runtime)"},
        BadStack{"21-unknown-runtime-plugin.yaml",
                 "5:21: runtime.backends.crun.plugin: no runtime plugin named 'test-runtme' "
                 "(have: test-runtime); did you mean 'test-runtime'?"},
        BadStack{"22-duplicate-network-name.yaml",
                 "7:15: network.networks[1].name: duplicate network name 'lan'"},
        BadStack{"23-network-default-ambiguous.yaml",
                 "4:3: network: missing required key 'default' (choose one of: lan, dmz)"},
        BadStack{"24-score-weight-out-of-range.yaml",
                 "6:46: scheduler.profiles[0].scores[0].weight: weight must be between 1 and "
                 "100, got 0"},
        BadStack{"25-score-weight-not-a-number.yaml",
                 "8:19: scheduler.profiles[0].scores[0].weight: expected a whole number, got "
                 "'heavy'"},
        BadStack{"26-unknown-filter-plugin.yaml",
                 "6:30: scheduler.profiles[0].filters[1]: no scheduler plugin named "
                 "'test-filtre' (have: test-filter, test-score); did you mean 'test-filter'?"},
        BadStack{"27-args-for-unused-plugin.yaml",
                 "8:9: scheduler.profiles[0].args.test-score: 'test-score' is not a filter or "
                 "score of this profile"},
        BadStack{"28-unknown-log-level.yaml",
                 "4:10: logging.level: unknown level 'verbose' (use trace, debug, info, warn or "
                 "error)"},
        BadStack{"29-unknown-log-format.yaml",
                 "3:33: logging.format: unknown format 'xml' (use text or json)"},
        BadStack{"30-skipped-plugin-required.yaml",
                 "4:11: storage.driver: storage plugin 'test-skipped' cannot run on this host: "
                 "needs the frobnicator filesystem"},
        BadStack{"31-options-is-a-list.yaml",
                 "5:12: storage.options: expected a mapping, got a list"},
        BadStack{"32-duplicate-profile-name.yaml",
                 "6:15: scheduler.profiles[1].name: duplicate profile name 'default'"},
        BadStack{"33-unknown-key-in-network.yaml",
                 "6:7: network.networks[0].drvier: unknown key 'drvier'; did you mean 'driver'? "
                 "(allowed: driver, options, name, subnet, gateway, internal)"},
        BadStack{"34-scheduler-without-profiles.yaml",
                 "4:13: scheduler.profiles: expected a list of at least one profile, got an "
                 "empty list"},
        BadStack{"35-option-bool-wrong.yaml",
                 "7:36: network.networks[0].options.nat: expected bool, got 'maybe'"},
        BadStack{"36-two-documents.yaml",
                 "4:1: holds 2 YAML documents; a stack file holds exactly one"},
        BadStack{"37-filter-listed-twice.yaml",
                 "6:42: scheduler.profiles[0].filters[2]: 'test-filter' is listed twice in "
                 "filters"},
        BadStack{"38-no-networks.yaml",
                 "4:13: network.networks: expected a list of at least one network, got an "
                 "empty list"},
        BadStack{"39-quoted-number.yaml",
                 "5:20: storage.options.size: expected int, got the quoted string \"12\" "
                 "(remove the quotes)"},
        BadStack{"40-non-finite-float.yaml",
                 "9:31: scheduler.profiles[0].args.test-score.spread: expected float, got "
                 "'nan'"},
        // Found by fuzz/stack_yaml.cpp: yaml-cpp looped, allocating without end.
        BadStack{"41-tag-before-flow-end.yaml", "1:3: invalid YAML: unexpected ','"},
        // Kept in fuzz/regressions/stack_yaml too: a stack overflow, and gigabytes.
        BadStack{"42-alias-inside-itself.yaml",
                 "3:10: nested more than 100 levels deep; does an alias contain itself?"},
        BadStack{"43-aliases-of-aliases.yaml",
                 "6:26: holds more than 100000 values once its aliases are expanded"}));

TEST(StackValidation, EveryBadFixtureIsInTheTable) {
  std::size_t files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(kBadStacks)) {
    files += entry.path().extension() == ".yaml" ? 1 : 0;
  }
  EXPECT_EQ(files, 43U) << "add the new bad stack to the table above";
}

TEST(StackValidation, ReportsEveryProblemNotJustTheFirst) {
  testing::TempDir dir;
  const auto file = dir.write("stack.yaml", "apiVersion: berth/v1\n"
                                            "kind: Stack\n"
                                            "root: relative\n"
                                            "logging: { level: loud }\n");
  const auto diagnostics = load(file);
  ASSERT_EQ(diagnostics.size(), 2U);
  EXPECT_EQ(diagnostics[0].at.line, 3);
  EXPECT_EQ(diagnostics[1].at.line, 4);
}

TEST(StackValidation, FillsPluginDefaultsAndConvertsTypes) {
  testing::TempDir dir;
  const auto file = dir.write("stack.yaml", R"(apiVersion: berth/v1
kind: Stack
root: /srv/berth
storage: { driver: test-store, options: { size: 1024 } }
network:
  networks:
    - { name: lan, driver: test-net, options: { bridge: br0, nat: off, dns: [1.1.1.1] } }
runtime:
  backends: { test-runtime: {} }
scheduler:
  profiles:
    - name: default
      filters: [test-filter]
      scores: [{ plugin: test-score, weight: 3 }]
      args: { test-score: { spread: 2.5 } }
logging: { level: debug, format: json }
)");
  std::optional<Stack> stack;
  const auto diagnostics = load(file, &stack);
  ASSERT_TRUE(diagnostics.empty()) << diagnostics.front().to_string();
  EXPECT_EQ(stack->root, "/srv/berth");
  EXPECT_EQ(stack->storage->options, (nlohmann::json{{"size", 1024}, {"mode", "copy"}}));
  const auto &lan = stack->network->networks.at(0);
  EXPECT_EQ(stack->network->default_network, "lan");
  EXPECT_EQ(lan.driver.options,
            (nlohmann::json{{"bridge", "br0"}, {"nat", false}, {"dns", {"1.1.1.1"}}}));
  EXPECT_EQ(stack->runtime->default_backend, "test-runtime");
  const auto &profile = stack->scheduler->profiles.at(0);
  EXPECT_EQ(profile.scores.at(0).weight, 3);
  EXPECT_DOUBLE_EQ(profile.scores.at(0).plugin.options["spread"].get<double>(), 2.5);
  EXPECT_EQ(stack->logging.level, sdk::LogLevel::debug);
  EXPECT_EQ(stack->logging.format, LogFormat::json);
}

TEST(StackValidation, ShownStackReadsBackToTheSameStack) {
  testing::TempDir dir;
  const auto file = dir.write("stack.yaml", R"(apiVersion: berth/v1
kind: Stack
storage: { driver: test-store, options: { mode: reflink } }
runtime:
  default: fast
  backends: { fast: { plugin: test-runtime } }
)");
  std::optional<Stack> stack;
  ASSERT_TRUE(load(file, &stack).empty());
  const auto shown = dir.write("shown.yaml", stack_to_yaml(*stack));
  std::optional<Stack> again;
  const auto diagnostics = load(shown, &again);
  ASSERT_TRUE(diagnostics.empty()) << diagnostics.front().to_string();
  EXPECT_EQ(again->storage->options, stack->storage->options);
  EXPECT_EQ(again->runtime->backends.at("fast").plugin, "test-runtime");
  EXPECT_EQ(stack_to_yaml(*again), stack_to_yaml(*stack));
}

TEST(StackValidation, MissingRequiredSchedulerOptionNamesItsArgsKey) {
  testing::TempDir dir;
  PluginRegistry registry = test_registry();
  static constexpr berth_option_spec kRequired[] = {
      {"zone", BERTH_OPTION_STRING, nullptr, nullptr, "the zone label"}};
  static const auto needs_zone = descriptor(BERTH_KIND_SCHEDULER, "needs-zone", kRequired, 1);
  registry.add_builtin([] { return &needs_zone; });
  auto loaded = read_stack_file(dir.write("stack.yaml", R"(apiVersion: berth/v1
kind: Stack
scheduler:
  profiles:
    - { name: default, filters: [needs-zone] }
)"));
  ASSERT_TRUE(loaded.stack.has_value());
  const auto diagnostics = resolve_stack(*loaded.stack, registry);
  ASSERT_EQ(diagnostics.size(), 1U);
  EXPECT_EQ(diagnostics[0].path, "scheduler.profiles[0].args.needs-zone");
  EXPECT_EQ(diagnostics[0].message, "plugin 'needs-zone' requires option 'zone' (the zone label)");
}

TEST(StackValidation, BuiltinDefaultStackIsValid) {
  auto loaded = parse_stack(builtin_default_stack(), kBuiltinStackName, "/");
  ASSERT_TRUE(loaded.stack.has_value()) << loaded.diagnostics.front().to_string();
  EXPECT_EQ(loaded.stack->root, "/var/lib/berth");
}

} // namespace
} // namespace berth
