// Who may read the state root: berth.db holds every container's
// environment (-e secrets), layers and volumes hold setuid files. Whichever
// command makes the root first, the modes are Docker's.
#include "container_fixture.hpp"

#include <sys/stat.h>

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

class StateRootTest : public ContainerTest {};

mode_t mode_of(const fs::path &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

TEST_F(StateRootTest, WhicheverCommandComesFirstMakesTheRootPrivate) {
  const auto fresh = tmp().path() / "fresh";
  const auto listed = berth_at(fresh, {"network", "ls"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(mode_of(fresh), 0710U);
  EXPECT_EQ(mode_of(fresh / "berth.db"), 0600U);
  EXPECT_TRUE(listed.err.empty()) << listed.err;
}

TEST_F(StateRootTest, TheDatabaseVolumesAndSnapshotsAreClosedToOtherUsers) {
  const auto ran = berth({"run", "--rm", "-v", "data:/data", kImage, "touch", "/data/x"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(mode_of(root()), 0710U);
  for (const char *suffix : {"", "-wal", "-shm"}) {
    const auto file = root() / (std::string("berth.db") + suffix);
    if (fs::exists(file)) {
      EXPECT_EQ(mode_of(file), 0600U) << file;
    }
  }
  EXPECT_EQ(mode_of(root() / "volumes"), 0700U);
  EXPECT_EQ(mode_of(root() / "plugins"), 0700U);
}

TEST_F(StateRootTest, ALooserRootIsTightenedWithOneWarning) {
  const auto old = tmp().path() / "old";
  fs::create_directories(old);
  fs::permissions(old, static_cast<fs::perms>(0755));
  tmp().write("old/berth.db", "");
  fs::permissions(old / "berth.db", static_cast<fs::perms>(0644));

  const auto first = berth_at(old, {"network", "ls"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(std::count(first.err.begin(), first.err.end(), '\n'), 1) << first.err;
  EXPECT_NE(first.err.find("0755 -> 0710"), std::string::npos) << first.err;
  EXPECT_EQ(mode_of(old), 0710U);
  EXPECT_EQ(mode_of(old / "berth.db"), 0600U);

  const auto second = berth_at(old, {"network", "ls"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(second.err.empty()) << second.err;
}

} // namespace
} // namespace berth::testing
