// The plugin index against real plugin libraries: a plugin an earlier
// command opened is listed without being mapped, opened on first use, and
// opened again whenever the file, the boot or the index is not the same.
#include "plugin/host_services.hpp"
#include "plugin/plugin_index.hpp"
#include "plugin/registry.hpp"
#include "plugin_files.hpp"
#include "support/temp_dir.hpp"

#include <berth/sdk/scheduler.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>

namespace berth {
namespace {

using testing::is_mapped;

std::filesystem::path fixture(const std::string &name) {
  return testing::fixture_plugin(name);
}

namespace fs = std::filesystem;

class PluginIndexTest : public ::testing::Test {
protected:
  // A plugin directory of its own, so that no other test has mapped its files.
  fs::path add(const std::string &fixture_name, const std::string &as) {
    const auto file = plugins_ / ("berth-" + as + ".so");
    fs::copy_file(fixture(fixture_name), file, fs::copy_options::overwrite_existing);
    return file;
  }

  // What one command does: the index, the directory, the index saved.
  PluginRegistry open_registry() {
    PluginRegistry registry;
    auto index = PluginIndex::load(index_file_);
    registry.load_directory(plugins_, &index);
    index.save();
    return registry;
  }

  testing::TempDir dir_;
  fs::path plugins_ = dir_.path() / "plugins";
  fs::path index_file_ = dir_.path() / "plugin-index.json";

  void SetUp() override { fs::create_directory(plugins_); }
};

TEST_F(PluginIndexTest, PluginOpenedOnceIsListedLaterWithoutBeingMapped) {
  const auto file = add("good", "good");
  {
    auto first = open_registry();
    ASSERT_EQ(first.entries().size(), 1U);
    EXPECT_NE(first.entries()[0].descriptor, nullptr);
  }
  ASSERT_FALSE(is_mapped(file));
  auto second = open_registry();
  ASSERT_EQ(second.entries().size(), 1U);
  const auto &entry = second.entries()[0];
  EXPECT_EQ(entry.status, PluginStatus::loaded);
  EXPECT_EQ(entry.info->name, "fixture-good");
  EXPECT_EQ(entry.info->version, "1.2.3");
  EXPECT_EQ(entry.info->kind, PluginKind::scheduler);
  EXPECT_FALSE(entry.info->options.empty());
  EXPECT_EQ(entry.descriptor, nullptr);
  EXPECT_FALSE(is_mapped(file));
  EXPECT_EQ(second.plugin_names(PluginKind::scheduler), std::vector<std::string>{"fixture-good"});

  // First use opens it, with the same handshake as ever.
  testing::TempDir root;
  auto host = std::make_shared<CoreHostServices>("fixture-good", root.path());
  auto made = second.create<sdk::SchedulerPlugin>("fixture-good", {{"label", "zone"}}, host);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_TRUE(is_mapped(file));
  EXPECT_NE(entry.descriptor, nullptr);
}

TEST_F(PluginIndexTest, OptionSchemaSurvivesTheIndex) {
  add("good", "good");
  std::vector<OptionSpec> opened;
  {
    auto first = open_registry();
    opened = first.entries()[0].info->options;
  }
  auto second = open_registry();
  const auto &indexed = second.entries()[0].info->options;
  ASSERT_EQ(indexed.size(), opened.size());
  for (std::size_t i = 0; i < opened.size(); ++i) {
    EXPECT_EQ(indexed[i].name, opened[i].name);
    EXPECT_EQ(indexed[i].type, opened[i].type);
    EXPECT_EQ(indexed[i].default_value, opened[i].default_value);
    EXPECT_EQ(indexed[i].choices, opened[i].choices);
    EXPECT_EQ(indexed[i].doc, opened[i].doc);
  }
}

TEST_F(PluginIndexTest, ReplacedFileIsOpenedAgain) {
  add("good", "good");
  (void)open_registry();
  // Another plugin under the same file name: the stamp differs.
  const auto file = add("failing-create", "good");
  auto registry = open_registry();
  ASSERT_EQ(registry.entries().size(), 1U);
  EXPECT_EQ(registry.entries()[0].info->name, "fixture-failing-create");
  EXPECT_NE(registry.entries()[0].descriptor, nullptr);
}

TEST_F(PluginIndexTest, SkippedPluginIsProbedEveryTime) {
  add("skipping", "skipping");
  (void)open_registry();
  auto registry = open_registry();
  ASSERT_EQ(registry.entries().size(), 1U);
  EXPECT_EQ(registry.entries()[0].status, PluginStatus::skipped);
  EXPECT_EQ(registry.entries()[0].reason, "needs the frobnicator filesystem");
}

TEST_F(PluginIndexTest, RefusedPluginIsNeverIndexed) {
  add("wrong-major", "wrong");
  (void)open_registry();
  auto registry = open_registry();
  ASSERT_EQ(registry.entries().size(), 1U);
  EXPECT_EQ(registry.entries()[0].status, PluginStatus::refused);
}

TEST_F(PluginIndexTest, IndexOfAnotherBootIsIgnored) {
  const auto file = add("good", "good");
  (void)open_registry();
  nlohmann::json document;
  {
    std::ifstream in(index_file_);
    document = nlohmann::json::parse(in);
  }
  document["bootId"] = "00000000-0000-0000-0000-000000000000";
  std::ofstream(index_file_) << document.dump();
  auto registry = open_registry();
  EXPECT_NE(registry.entries()[0].descriptor, nullptr);
  EXPECT_TRUE(is_mapped(file));
}

TEST_F(PluginIndexTest, DamagedIndexIsRebuilt) {
  add("good", "good");
  std::ofstream(index_file_) << "{ not json";
  {
    auto registry = open_registry();
    EXPECT_NE(registry.entries()[0].descriptor, nullptr);
  }
  auto again = open_registry();
  EXPECT_EQ(again.entries()[0].descriptor, nullptr);
}

TEST_F(PluginIndexTest, IndexIsPrivateToRoot) {
  add("good", "good");
  (void)open_registry();
  struct stat info {};
  ASSERT_EQ(::stat(index_file_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
}

TEST_F(PluginIndexTest, OpenAllGivesEveryEntryItsCurrentStatus) {
  const auto file = add("good", "good");
  (void)open_registry();
  auto registry = open_registry();
  ASSERT_EQ(registry.entries()[0].descriptor, nullptr);
  registry.open_all();
  EXPECT_EQ(registry.entries()[0].status, PluginStatus::loaded);
  EXPECT_NE(registry.entries()[0].descriptor, nullptr);
  EXPECT_TRUE(is_mapped(file));
}

TEST_F(PluginIndexTest, IndexedDuplicateIsStillRefused) {
  add("good", "a-good");
  add("twin", "b-twin");
  (void)open_registry();
  auto registry = open_registry();
  ASSERT_EQ(registry.entries().size(), 2U);
  EXPECT_EQ(registry.entries()[1].status, PluginStatus::refused);
  EXPECT_EQ(registry.find("fixture-good")->file, plugins_ / "berth-a-good.so");
}

} // namespace
} // namespace berth
