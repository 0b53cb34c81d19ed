// overlay2's own promises beyond the kit: it says "skip" with the reason when
// its state directory cannot hold upper directories.
#include "plugin/host_services.hpp"
#include "plugin/registry.hpp"
#include "support/temp_dir.hpp"

#include <berth/sdk/storage.hpp>

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/mount.h>

namespace berth::testing {
namespace {

TEST(Overlay2, SkipsWithTheReasonWhenItsRootIsOnOverlayfs) {
  ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << "needs root for a private mount namespace";
  ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
  TempDir tmp("berth-overlay-root");
  for (const auto *dir : {"lower", "upper", "work", "merged"}) {
    std::filesystem::create_directories(tmp.path() / dir);
  }
  const auto options = "lowerdir=" + (tmp.path() / "lower").string() +
                       ",upperdir=" + (tmp.path() / "upper").string() +
                       ",workdir=" + (tmp.path() / "work").string();
  ASSERT_EQ(::mount("overlay", (tmp.path() / "merged").c_str(), "overlay", 0, options.c_str()), 0);

  PluginRegistry registry;
  registry.load_directory(BERTH_PLUGIN_DIR);
  auto made = registry.create<sdk::StorageDriver>(
      "overlay2", {}, std::make_shared<CoreHostServices>("overlay2", tmp.path() / "merged"));
  ::umount2((tmp.path() / "merged").c_str(), MNT_DETACH);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, sdk::Errc::unavailable);
  EXPECT_NE(made.error().message.find("is on overlayfs"), std::string::npos)
      << made.error().message;
  EXPECT_NE(made.error().message.find("use the vfs driver"), std::string::npos);
}

} // namespace
} // namespace berth::testing
