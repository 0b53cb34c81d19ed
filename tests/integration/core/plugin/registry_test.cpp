// The registry against real plugin libraries: each broken fixture is refused
// with its reason and never half-loads; a good plugin's objects keep its
// library mapped for exactly as long as they live.
#include "plugin/host_services.hpp"
#include "plugin/registry.hpp"
#include "plugin_files.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <berth/sdk/scheduler.hpp>
#include <berth/sdk/storage.hpp>

#include <gtest/gtest.h>

#include <fstream>

namespace berth {
namespace {

using testing::is_mapped;

std::filesystem::path fixture(const std::string &name) {
  return testing::fixture_plugin(name);
}

const PluginEntry &load_one(PluginRegistry &registry, const std::string &name) {
  registry.load_file(fixture(name));
  return registry.entries().back();
}

struct Refusal {
  const char *fixture;
  const char *reason_prefix;
};

void PrintTo(const Refusal &refusal, std::ostream *out) {
  *out << refusal.fixture;
}

class BrokenPlugin : public ::testing::TestWithParam<Refusal> {};

TEST_P(BrokenPlugin, IsRefusedWithOneLineNamingTheFileAndReason) {
  PluginRegistry registry;
  const auto &entry = load_one(registry, GetParam().fixture);
  EXPECT_EQ(entry.status, PluginStatus::refused);
  EXPECT_EQ(entry.reason.rfind(GetParam().reason_prefix, 0), 0U) << entry.reason;
  EXPECT_EQ(entry.describe_problem(), fixture(GetParam().fixture).string() + ": " + entry.reason);
  EXPECT_EQ(entry.reason.find('\n'), std::string::npos);
  // Never half-loaded: no descriptor kept, library unmapped again.
  EXPECT_EQ(entry.descriptor, nullptr);
  EXPECT_FALSE(is_mapped(fixture(GetParam().fixture)));
}

INSTANTIATE_TEST_SUITE_P(
    Registry, BrokenPlugin,
    ::testing::Values(
        Refusal{"missing-symbol",
                "no 'berth_plugin' symbol; a plugin exports it with BERTH_PLUGIN(...)"},
        Refusal{"wrong-major", "built for SDK ABI 2.1 but this berth speaks 1.1 (major "
                               "versions must match); rebuild the plugin against SDK 1.1"},
        Refusal{"newer-minor", "built for SDK ABI 1.2, newer than this berth's 1.1; upgrade "
                               "berth or rebuild the plugin against SDK 1.1"},
        Refusal{"toolchain-mismatch",
                "toolchain 'gcc-4;libstdc++-cxx11abi0;c++201103L;json-3.0' differs "
                "from berth's '"},
        Refusal{"unknown-kind", "unknown plugin kind 42"},
        Refusal{"bad-schema", "option schema: default of 'limit': expected int, got \"ten\""},
        Refusal{"garbage", "cannot load as a shared library: "}));

TEST(Registry, SkippedPluginIsListedWithItsReasonAndCannotBeCreated) {
  testing::TempDir root;
  PluginRegistry registry;
  const auto &entry = load_one(registry, "skipping");
  EXPECT_EQ(entry.status, PluginStatus::skipped);
  EXPECT_EQ(entry.reason, "needs the frobnicator filesystem");
  auto host = std::make_shared<CoreHostServices>("fixture-skipping", root.path());
  auto made = registry.create<sdk::StorageDriver>("fixture-skipping", {}, host);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, sdk::Errc::unavailable);
}

TEST(Registry, FailingCreateIsReportedWithTheFileAndThePluginsReason) {
  testing::TempDir root;
  PluginRegistry registry;
  const auto &entry = load_one(registry, "failing-create");
  ASSERT_EQ(entry.status, PluginStatus::loaded);
  auto host = std::make_shared<CoreHostServices>("fixture-failing-create", root.path());
  auto made = registry.create<sdk::SchedulerPlugin>("fixture-failing-create", {}, host);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().message,
            fixture("failing-create").string() + ": create failed: cannot open /dev/frobnicator");
}

TEST(Registry, DuplicateNameIsRefusedAndTheFirstKeepsIt) {
  PluginRegistry registry;
  load_one(registry, "good");
  const auto &twin = load_one(registry, "twin");
  EXPECT_EQ(twin.status, PluginStatus::refused);
  EXPECT_EQ(twin.reason, "duplicate plugin name 'fixture-good' (already provided by " +
                             fixture("good").string() + ")");
  EXPECT_EQ(registry.find("fixture-good")->info->version, "1.2.3");
  EXPECT_FALSE(is_mapped(fixture("twin")));
}

TEST(Registry, ObjectKeepsItsLibraryLoadedUntilReleased) {
  testing::TempDir root;
  std::shared_ptr<sdk::SchedulerPlugin> plugin;
  {
    PluginRegistry registry;
    ASSERT_EQ(load_one(registry, "good").status, PluginStatus::loaded);
    auto host = std::make_shared<CoreHostServices>("fixture-good", root.path());
    auto made = registry.create<sdk::SchedulerPlugin>("fixture-good", {{"label", "zone"}}, host);
    ASSERT_TRUE(made.ok()) << made.error().message;
    plugin = std::move(made).value();
  } // the registry is gone; only the object holds the library now
  ASSERT_TRUE(is_mapped(fixture("good")));
  sdk::NodeInfo labelled;
  labelled.labels["zone"] = "a";
  EXPECT_TRUE(plugin->filter({}, labelled).fits());
  EXPECT_EQ(plugin->filter({}, sdk::NodeInfo{}).reason, "missing label zone");
  plugin.reset();
  EXPECT_FALSE(is_mapped(fixture("good")));
}

TEST(Registry, PluginReachesHostServicesAcrossTheBoundary) {
  testing::TempDir root;
  PluginRegistry registry;
  load_one(registry, "good");
  auto host = std::make_shared<CoreHostServices>("fixture-good", root.path());
  auto made = registry.create<sdk::SchedulerPlugin>("fixture-good", {{"marker", "hello"}}, host);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(testing::read_file(root.path() / "plugins" / "fixture-good" / "marker"), "hello");
  CoreHostServices reader("fixture-good", root.path());
  EXPECT_EQ(reader.kv().get("marker")->value_or(""), "hello");
}

TEST(Registry, DirectoryLoadSortsOutEveryFixture) {
  PluginRegistry registry;
  registry.load_directory(BERTH_FIXTURE_PLUGIN_DIR);
  std::map<PluginStatus, int> counts;
  for (const auto &entry : registry.entries()) {
    ++counts[entry.status];
  }
  EXPECT_EQ(counts[PluginStatus::loaded], 2);  // good, failing-create
  EXPECT_EQ(counts[PluginStatus::skipped], 1); // skipping
  EXPECT_EQ(counts[PluginStatus::refused], 8);
  EXPECT_EQ(registry.plugin_names(PluginKind::scheduler),
            (std::vector<std::string>{"fixture-failing-create", "fixture-good"}));
}

TEST(Registry, DirectoryLoadOpensOnlyBerthPluginFiles) {
  testing::TempDir dir;
  // The same library under a name berth_add_plugin would not produce: berth
  // must not dlopen (and so run the constructors of) other libraries.
  std::filesystem::copy_file(fixture("good"), dir.path() / "libsomething-else.so");
  std::filesystem::copy_file(fixture("good"), dir.path() / "berth-good.so");
  std::filesystem::create_directory(dir.path() / "berth-dir.so");
  PluginRegistry registry;
  registry.load_directory(dir.path());
  ASSERT_EQ(registry.entries().size(), 1U);
  EXPECT_EQ(registry.entries()[0].file, dir.path() / "berth-good.so");
}

TEST(PluginAbi, PluginExportsExactlyOneSymbol) {
  const auto nm = testing::run_process(
      {"/usr/bin/nm", "-D", "--defined-only", "--format=posix", fixture("good").string()});
  ASSERT_EQ(nm.exit_code, 0) << nm.err;
  std::vector<std::string> symbols;
  std::istringstream lines(nm.out);
  for (std::string line; std::getline(lines, line);) {
    symbols.push_back(line.substr(0, line.find(' ')));
  }
  EXPECT_EQ(symbols, (std::vector<std::string>{"berth_plugin"}));
}

} // namespace
} // namespace berth
