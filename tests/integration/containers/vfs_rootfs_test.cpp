// vfs gives a container its rootfs as a bind mount from the same
// filesystem, which an st_dev comparison cannot tell from a plain
// directory: every start and cp then stacked another mount, and rm left
// one behind.
#include "container_fixture.hpp"

#include <fstream>
#include <sstream>

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

class VfsRootfsTest : public ContainerTest {
protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    std::ifstream in(BERTH_SOURCE_DIR "/examples/stacks/default.yaml");
    std::stringstream text;
    text << in.rdbuf();
    auto stack = text.str();
    const auto driver = stack.find("driver: overlay2");
    ASSERT_NE(driver, std::string::npos);
    stack.replace(driver, 16, "driver: vfs");
    stack_ = tmp().write("vfs.yaml", stack);
    vfs_root_ = tmp().path() / "vfs-root";
    const auto imported = vfs({"import", image_tar().string(), kImage});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  Completed vfs(const std::vector<std::string> &args) const {
    return berth_at(vfs_root_, args, stack_);
  }

  fs::path stack_;
  fs::path vfs_root_;
};

TEST_F(VfsRootfsTest, StartAndCpMountTheRootfsOnceAndRmLeavesNoMount) {
  const auto created = vfs({"create", "--network", "none", kImage, "sleep", "60"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto id = lines(created.out).back();
  const auto file = tmp().write("note", "hello\n");
  ASSERT_EQ(vfs({"cp", file.string(), id + ":/note"}).exit_code, 0);
  ASSERT_EQ(vfs({"start", id}).exit_code, 0);
  ASSERT_EQ(vfs({"stop", "-t", "0", id}).exit_code, 0);
  ASSERT_EQ(vfs({"start", id}).exit_code, 0);
  ASSERT_EQ(vfs({"cp", id + ":/note", (tmp().path() / "back").string()}).exit_code, 0);
  EXPECT_EQ(read_file(tmp().path() / "back"), "hello\n");
  EXPECT_EQ(mounts_under(vfs_root_ / "containers").size(), 1U);

  const auto removed = vfs({"rm", "-f", id});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(mounts_under(vfs_root_ / "containers").empty());
  EXPECT_FALSE(fs::exists(vfs_root_ / "containers" / id));
}

} // namespace
} // namespace berth::testing
