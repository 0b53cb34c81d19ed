// Diff then apply gives back the same tree, through overlay2's native diff
// and through the core's generic differ (vfs has no diff of its own).
#include "image/content_store.hpp"
#include "layer/layer_store.hpp"
#include "plugin/host_services.hpp"
#include "plugin/registry.hpp"
#include "support/image_builder.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <berth/sdk/mount.hpp>

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/mount.h>

#include <fstream>

namespace berth::testing {
namespace {

// A driver, database, content and layer store under one root.
struct Store {
  std::filesystem::path root;
  PluginRegistry registry;
  std::shared_ptr<sdk::StorageDriver> driver;
  std::unique_ptr<Database> db;
  std::unique_ptr<ContentStore> content;
  std::unique_ptr<LayerStore> layers;

  Store(const std::string &plugin, std::filesystem::path dir) : root(std::move(dir)) {
    std::filesystem::create_directories(root);
    registry.load_directory(BERTH_PLUGIN_DIR);
    auto made = registry.create<sdk::StorageDriver>(
        plugin, {}, std::make_shared<CoreHostServices>(plugin, root));
    EXPECT_TRUE(made.ok()) << made.error().describe();
    driver = std::move(made).value();
    db = std::make_unique<Database>(root / "berth.db");
    content = std::make_unique<ContentStore>(root);
    layers = std::make_unique<LayerStore>(*db, driver, root);
  }
};

class LayerDiffTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << "needs root for a private mount namespace";
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
  }

  // `find` of a mounted snapshot with each file's mode and content.
  static std::string listing(const std::filesystem::path &root) {
    auto done = run_process({"/bin/sh", "-c",
                             "cd " + root.string() +
                                 " && find . -printf '%p %M %U\\n' | sort && cat $(find . -type f "
                                 "| sort)"});
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return done.out;
  }

  TempDir tmp_{"berth-diff"};
};

TEST_P(LayerDiffTest, DiffThenApplyRebuildsTheSameTree) {
  const auto base_tar = tmp_.path() / "base.tar";
  write_tar(base_tar,
            {dir("etc"), file("etc/keep", "keep"), file("etc/edit", "old"),
             file("etc/gone", "gone"), dir("var"), dir("var/cache"), file("var/cache/a", "a"),
             file("var/cache/b", "b"), dir("opt"), file("opt/tool", "tool")});
  Store first(GetParam(), tmp_.path() / "first");
  auto base = first.layers->apply("", base_tar, "", "base");
  ASSERT_TRUE(base.ok()) << base.error().describe();

  auto mounts = first.driver->prepare("work", base->chain_id);
  ASSERT_TRUE(mounts.ok()) << mounts.error().describe();
  const auto work = tmp_.path() / "work";
  std::filesystem::create_directories(work);
  ASSERT_TRUE(sdk::mount_all(*mounts, work).ok());
  std::ofstream(work / "etc" / "edit") << "new content";
  std::filesystem::remove(work / "etc" / "gone");
  std::filesystem::remove_all(work / "var" / "cache");
  std::filesystem::create_directories(work / "var" / "cache");
  std::ofstream(work / "var" / "cache" / "fresh") << "fresh";
  std::filesystem::remove_all(work / "opt");
  std::ofstream(work / "opt") << "now a file";
  std::filesystem::create_directories(work / "srv" / "data");
  std::ofstream(work / "srv" / "data" / "x") << "x";
  std::filesystem::create_hard_link(work / "srv" / "data" / "x", work / "srv" / "y");
  std::filesystem::permissions(work / "etc" / "keep", std::filesystem::perms(0600));
  const auto expected = listing(work);

  auto blob = first.layers->diff("work", base->chain_id, *first.content);
  ASSERT_TRUE(blob.ok()) << blob.error().describe();
  ASSERT_TRUE(sdk::unmount(work).ok());

  Store second(GetParam(), tmp_.path() / "second");
  auto again = second.layers->apply("", base_tar, "", "base");
  ASSERT_TRUE(again.ok());
  auto top = second.layers->apply(again->chain_id, first.content->path_of(*blob), *blob, "diff");
  ASSERT_TRUE(top.ok()) << top.error().describe();
  auto view = second.driver->view("check", top->chain_id);
  ASSERT_TRUE(view.ok()) << view.error().describe();
  const auto check = tmp_.path() / "check";
  std::filesystem::create_directories(check);
  ASSERT_TRUE(sdk::mount_all(*view, check).ok());
  EXPECT_EQ(listing(check), expected);
  (void)sdk::unmount(check);
}

INSTANTIATE_TEST_SUITE_P(Drivers, LayerDiffTest, ::testing::Values("overlay2", "vfs"));

} // namespace
} // namespace berth::testing
