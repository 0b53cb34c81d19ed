// The handshake on descriptors linked into the test binary (no dlopen): each
// rule refuses with its own reason. The same rules on real shared libraries
// are in tests/integration/core/plugin/registry_test.cpp.
#include "plugin/handshake.hpp"
#include "plugin/host_services.hpp"
#include "plugin/registry.hpp"
#include "support/temp_dir.hpp"

#include <berth/sdk/scheduler.hpp>
#include <berth/sdk/storage.hpp>

#include <gtest/gtest.h>

namespace berth {
namespace {

class Noop final : public sdk::SchedulerPlugin {
public:
  static sdk::Result<std::unique_ptr<Noop>> create(sdk::HostServices &, const nlohmann::json &) {
    return std::make_unique<Noop>();
  }
  [[nodiscard]] std::uint32_t extension_points() const noexcept override { return 0; }
};

constexpr berth_option_spec kOptions[] = {
    {"level", BERTH_OPTION_INT, "3", nullptr, "a level"},
    {"mode", BERTH_OPTION_STRING, "\"a\"", "a|b", "a mode"},
};
BERTH_PLUGIN_DESCRIPTOR_FUNCTION(noop_descriptor, Noop, "noop", "2.0", "does nothing", kOptions)

berth_plugin_descriptor valid() {
  return *noop_descriptor();
}

std::string refusal(const berth_plugin_descriptor &d) {
  auto info = check_descriptor(&d);
  return info.ok() ? std::string("accepted") : info.error().message;
}

TEST(Handshake, AcceptsAValidDescriptorAndReadsItsSchema) {
  auto d = valid();
  auto info = check_descriptor(&d);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->name, "noop");
  EXPECT_EQ(info->kind, PluginKind::scheduler);
  EXPECT_EQ(info->version, "2.0");
  ASSERT_EQ(info->options.size(), 2U);
  EXPECT_EQ(info->options[0].type, OptionType::integer);
  EXPECT_EQ(*info->options[0].default_value, 3);
  EXPECT_EQ(info->options[1].choices, (std::vector<std::string>{"a", "b"}));
}

TEST(Handshake, RefusesNull) {
  EXPECT_EQ(refusal(*noop_descriptor()), "accepted");
  EXPECT_FALSE(check_descriptor(nullptr).ok());
}

TEST(Handshake, RefusesOtherMajor) {
  auto d = valid();
  d.abi_major = 2;
  EXPECT_EQ(refusal(d), "built for SDK ABI 2.1 but this berth speaks 1.1 (major versions must "
                        "match); rebuild the plugin against SDK 1.1");
}

TEST(Handshake, RefusesNewerMinor) {
  auto d = valid();
  d.abi_minor = BERTH_ABI_MINOR + 1;
  EXPECT_EQ(refusal(d), "built for SDK ABI 1.2, newer than this berth's 1.1; upgrade berth or "
                        "rebuild the plugin against SDK 1.1");
}

TEST(Handshake, ReadsOptionsWrittenByALaterMinorWithLargerSpecs) {
  // A plugin from a future 1.x may append fields to berth_option_spec; the
  // core must step by the plugin's stride and read only the fields it knows.
  struct FutureSpec {
    berth_option_spec v1_0;
    const char *added_later;
  };
  static const FutureSpec future[] = {
      {{"first", BERTH_OPTION_INT, "1", nullptr, "one"}, "x"},
      {{"second", BERTH_OPTION_BOOL, "true", nullptr, "two"}, "y"},
  };
  auto d = valid();
  d.options = &future[0].v1_0;
  d.option_count = 2;
  d.option_spec_size = sizeof(FutureSpec);
  auto info = check_descriptor(&d);
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->options.size(), 2U);
  EXPECT_EQ(info->options[1].name, "second");
  EXPECT_EQ(info->options[1].type, OptionType::boolean);
  d.option_spec_size = 8;
  EXPECT_EQ(refusal(d), "option schema: option_spec_size is 8, ABI 1.0 needs at least " +
                            std::to_string(BERTH_OPTION_SPEC_SIZE_1_0));
}

TEST(Handshake, RefusesTruncatedDescriptor) {
  auto d = valid();
  d.struct_size = 4;
  EXPECT_EQ(refusal(d), "descriptor is 4 bytes, too small to hold an ABI version");
  d.struct_size = 40;
  EXPECT_EQ(refusal(d), "descriptor is 40 bytes but ABI 1.1 needs " +
                            std::to_string(sizeof(berth_plugin_descriptor)));
}

TEST(Handshake, RefusesOtherToolchain) {
  auto d = valid();
  d.toolchain = "clang-99";
  EXPECT_EQ(refusal(d).rfind("toolchain 'clang-99' differs from berth's '", 0), 0U);
}

TEST(Handshake, RefusesUnknownKind) {
  auto d = valid();
  d.kind = 9;
  EXPECT_EQ(refusal(d), "unknown plugin kind 9 (known: 1 storage, 2 network, 3 runtime, 4 "
                        "scheduler)");
}

TEST(Handshake, RefusesInvalidName) {
  auto d = valid();
  d.name = "Has Spaces";
  EXPECT_EQ(refusal(d), "invalid plugin name 'Has Spaces' (use [a-z0-9_-], at most 64 "
                        "characters)");
}

TEST(Handshake, RefusesMissingFactory) {
  auto d = valid();
  d.create = nullptr;
  EXPECT_EQ(refusal(d), "plugin 'noop' has no create or destroy function");
}

TEST(Handshake, RefusesMalformedSchemas) {
  auto d = valid();
  const berth_option_spec bad_default[] = {{"n", BERTH_OPTION_INT, "\"x\"", nullptr, ""}};
  d.options = bad_default;
  d.option_count = 1;
  EXPECT_EQ(refusal(d), "option schema: default of 'n': expected int, got \"x\"");
  const berth_option_spec not_json[] = {{"n", BERTH_OPTION_INT, "{", nullptr, ""}};
  d.options = not_json;
  EXPECT_EQ(refusal(d), "option schema: default of 'n' is not valid JSON: {");
  const berth_option_spec bad_type[] = {{"n", 77, nullptr, nullptr, ""}};
  d.options = bad_type;
  EXPECT_EQ(refusal(d), "option schema: option 'n' has unknown type 77");
  const berth_option_spec twice[] = {{"n", BERTH_OPTION_INT, nullptr, nullptr, ""},
                                     {"n", BERTH_OPTION_INT, nullptr, nullptr, ""}};
  d.options = twice;
  d.option_count = 2;
  EXPECT_EQ(refusal(d), "option schema: option 'n' is declared twice");
  const berth_option_spec choices_on_int[] = {{"n", BERTH_OPTION_INT, nullptr, "1|2", ""}};
  d.options = choices_on_int;
  d.option_count = 1;
  EXPECT_EQ(refusal(d), "option schema: option 'n' lists choices but is not a string");
  const berth_option_spec default_not_choice[] = {{"n", BERTH_OPTION_STRING, "\"c\"", "a|b", ""}};
  d.options = default_not_choice;
  EXPECT_EQ(refusal(d), "option schema: default of 'n': 'c' is not one of: a, b");
  d.options = nullptr;
  EXPECT_EQ(refusal(d), "option schema: option_count is 1 but options is NULL");
}

TEST(Registry, BuiltinPluginCreatesWithDefaultsFilledIn) {
  testing::TempDir root;
  PluginRegistry registry;
  registry.add_builtin(noop_descriptor);
  ASSERT_EQ(registry.entries().size(), 1U);
  EXPECT_EQ(registry.entries()[0].status, PluginStatus::loaded);
  auto host = std::make_shared<CoreHostServices>("noop", root.path());
  auto made = registry.create<sdk::SchedulerPlugin>("noop", nlohmann::json::object(), host);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ((*made)->extension_points(), 0U);
  auto hostless = registry.create<sdk::SchedulerPlugin>("noop", {}, nullptr);
  ASSERT_FALSE(hostless.ok());
  EXPECT_EQ(hostless.error().code, sdk::Errc::internal);
}

int failing_probe(char *reason, size_t capacity) {
  std::snprintf(reason, capacity, "probe failed: /proc is not mounted");
  return BERTH_ERROR;
}

TEST(Registry, ProbeErrorRefusesRatherThanSkips) {
  static berth_plugin_descriptor broken = [] {
    auto d = valid();
    d.probe = failing_probe;
    return d;
  }();
  PluginRegistry registry;
  registry.add_builtin([] { return static_cast<const berth_plugin_descriptor *>(&broken); });
  EXPECT_EQ(registry.entries()[0].status, PluginStatus::refused);
  EXPECT_EQ(registry.entries()[0].reason, "probe failed: /proc is not mounted");
  EXPECT_EQ(registry.entries()[0].descriptor, nullptr);
}

TEST(Registry, RefusesSecondPluginWithTheSameName) {
  PluginRegistry registry;
  registry.add_builtin(noop_descriptor);
  registry.add_builtin(noop_descriptor);
  ASSERT_EQ(registry.entries().size(), 2U);
  EXPECT_EQ(registry.entries()[1].status, PluginStatus::refused);
  EXPECT_EQ(registry.entries()[1].reason,
            "duplicate plugin name 'noop' (already provided by berth itself)");
  EXPECT_EQ(registry.find("noop"), &registry.entries()[0]);
}

TEST(Registry, CreateChecksTheKind) {
  testing::TempDir root;
  PluginRegistry registry;
  registry.add_builtin(noop_descriptor);
  auto host = std::make_shared<CoreHostServices>("noop", root.path());
  auto made = registry.create<sdk::StorageDriver>("noop", {}, host);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().message, "plugin 'noop' is a scheduler plugin");
  auto missing = registry.create<sdk::SchedulerPlugin>("nope", {}, host);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, sdk::Errc::not_found);
}

} // namespace
} // namespace berth
