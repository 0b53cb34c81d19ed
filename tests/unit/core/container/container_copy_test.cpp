// `berth cp` on real trees: Docker's rules for where a copy lands, and that
// no symlink in a container's root, absolute or relative, lets a copy read
// or write the host.
#include "container/container_copy.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

constexpr time_t kPast = 1'000'000'000; // 2001-09-09, unlike any fresh file

struct stat lstat_of(const fs::path &path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

void set_mtime(const fs::path &path, time_t seconds) {
  const timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// A container root with a small tree, and beside it an "outside" directory
// standing for the host, which its symlinks point at.
class ContainerCopy : public ::testing::Test {
protected:
  void SetUp() override {
    root_.write("data/hello.txt", "hello\n");
    root_.write("data/sub/deep.txt", "deep\n");
    fs::create_symlink("/etc/passwd", root() / "data/link");
    // Absolute: on the host this is the outside directory.
    fs::create_symlink(outside(), root() / "etc");
    // Relative, and climbing far above root.
    fs::create_symlink("../../../../../../../.." + outside().string(), root() / "up");
    outside_.write("hostname", "host secret\n");
  }

  [[nodiscard]] fs::path root() const { return root_.path(); }
  [[nodiscard]] fs::path host() const { return host_.path(); }
  [[nodiscard]] fs::path outside() const { return outside_.path(); }
  // Where the outside directory's path leads inside the root.
  [[nodiscard]] fs::path outside_in_root() const { return root() / outside().relative_path(); }
  [[nodiscard]] std::size_t outside_entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(outside()), fs::directory_iterator()));
  }

  TempDir root_{"berth-copy-root"};
  TempDir host_{"berth-copy-host"};
  TempDir outside_{"berth-copy-outside"};
};

TEST_F(ContainerCopy, CopyInThroughAbsoluteSymlinkFailsWhenItsTargetIsNotInRoot) {
  const auto source = host_.write("x", "payload\n");
  const auto copied = copy_in(source, root(), "/etc/x");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::not_found);
  EXPECT_EQ(copied.error().context, "/etc/x");
  EXPECT_FALSE(fs::exists(outside() / "x"));
}

TEST_F(ContainerCopy, CopyInThroughAbsoluteSymlinkLandsInsideRoot) {
  fs::create_directories(outside_in_root());
  const auto source = host_.write("x", "payload\n");
  ASSERT_TRUE(copy_in(source, root(), "/etc/x").ok());
  EXPECT_EQ(read_file(outside_in_root() / "x"), "payload\n");
  EXPECT_FALSE(fs::exists(outside() / "x"));
}

TEST_F(ContainerCopy, CopyInThroughRelativeEscapeLandsInsideRoot) {
  fs::create_directories(outside_in_root());
  const auto source = host_.write("x", "payload\n");
  ASSERT_TRUE(copy_in(source, root(), "/up/x").ok());
  EXPECT_EQ(read_file(outside_in_root() / "x"), "payload\n");
  EXPECT_FALSE(fs::exists(outside() / "x"));
}

TEST_F(ContainerCopy, CopyInDirectoryThroughSymlinkNeverTouchesTheHost) {
  fs::create_directories(outside_in_root());
  host_.write("tree/a.txt", "a\n");
  ASSERT_TRUE(copy_in(host() / "tree", root(), "/etc").ok());
  EXPECT_EQ(read_file(outside_in_root() / "tree/a.txt"), "a\n");
  EXPECT_EQ(outside_entries(), 1U); // hostname, as before
}

TEST_F(ContainerCopy, CopyInReplacesASymlinkInsteadOfWritingThroughIt) {
  fs::create_symlink(outside() / "hostname", root() / "hostname");
  const auto source = host_.write("hostname", "container\n");
  ASSERT_TRUE(copy_in(source, root(), "/hostname").ok());
  EXPECT_EQ(read_file(outside() / "hostname"), "host secret\n");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(root() / "hostname")));
  EXPECT_EQ(read_file(root() / "hostname"), "container\n");
}

TEST_F(ContainerCopy, CopyOutNeverReadsThroughASymlinkToTheHost) {
  const auto copied = copy_out(root(), "/etc/hostname", host() / "hostname");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::not_found);
  EXPECT_FALSE(fs::exists(host() / "hostname"));
}

TEST_F(ContainerCopy, CopyOutOfASymlinkCopiesTheLinkItself) {
  ASSERT_TRUE(copy_out(root(), "/data/link", host() / "link").ok());
  ASSERT_TRUE(fs::is_symlink(host() / "link"));
  EXPECT_EQ(fs::read_symlink(host() / "link"), "/etc/passwd");
}

TEST_F(ContainerCopy, CopyOutOfASymlinkedDirectoryWithTrailingSlashFollowsItInsideRoot) {
  root_.write(outside().relative_path().string() + "/inner.txt", "inner\n");
  ASSERT_TRUE(copy_out(root(), "/etc/", host() / "etc-copy").ok());
  EXPECT_EQ(read_file(host() / "etc-copy/inner.txt"), "inner\n");
  EXPECT_FALSE(fs::exists(host() / "etc-copy/hostname"));
}

TEST_F(ContainerCopy, FileToNewFile) {
  ASSERT_TRUE(copy_out(root(), "/data/hello.txt", host() / "x").ok());
  EXPECT_EQ(read_file(host() / "x"), "hello\n");
}

TEST_F(ContainerCopy, FileOverwritesExistingFile) {
  const auto existing = host_.write("x", "old contents that are longer\n");
  ASSERT_TRUE(copy_out(root(), "data/hello.txt", existing).ok());
  EXPECT_EQ(read_file(existing), "hello\n");
}

TEST_F(ContainerCopy, FileIntoExistingDirectoryKeepsItsName) {
  fs::create_directory(host() / "dir");
  ASSERT_TRUE(copy_out(root(), "/data/hello.txt", host() / "dir").ok());
  EXPECT_EQ(read_file(host() / "dir/hello.txt"), "hello\n");
}

TEST_F(ContainerCopy, DirectoryToNewPathBecomesTheCopy) {
  ASSERT_TRUE(copy_out(root(), "/data", host() / "out").ok());
  EXPECT_EQ(read_file(host() / "out/hello.txt"), "hello\n");
  EXPECT_EQ(read_file(host() / "out/sub/deep.txt"), "deep\n");
  EXPECT_TRUE(fs::is_symlink(host() / "out/link"));
  EXPECT_FALSE(fs::exists(host() / "out/data"));
}

TEST_F(ContainerCopy, DirectoryIntoExistingDirectoryKeepsItsName) {
  fs::create_directory(host() / "out");
  ASSERT_TRUE(copy_out(root(), "/data", host() / "out").ok());
  EXPECT_EQ(read_file(host() / "out/data/hello.txt"), "hello\n");
  EXPECT_EQ(read_file(host() / "out/data/sub/deep.txt"), "deep\n");
}

TEST_F(ContainerCopy, DirectoryWithTrailingDotCopiesItsContents) {
  fs::create_directory(host() / "out");
  host_.write("out/kept.txt", "kept\n");
  ASSERT_TRUE(copy_out(root(), "/data/.", host() / "out").ok());
  EXPECT_EQ(read_file(host() / "out/hello.txt"), "hello\n");
  EXPECT_EQ(read_file(host() / "out/sub/deep.txt"), "deep\n");
  EXPECT_EQ(read_file(host() / "out/kept.txt"), "kept\n");
  EXPECT_FALSE(fs::exists(host() / "out/data"));
}

TEST_F(ContainerCopy, DirectoryCopiesInBothDirections) {
  host_.write("site/index.html", "<h1>hi</h1>\n");
  ASSERT_TRUE(copy_in(host() / "site", root(), "/srv").ok());
  EXPECT_EQ(read_file(root() / "srv/index.html"), "<h1>hi</h1>\n");
  ASSERT_TRUE(copy_in(host() / "site", root(), "/srv").ok());
  EXPECT_EQ(read_file(root() / "srv/site/index.html"), "<h1>hi</h1>\n");
}

TEST_F(ContainerCopy, MissingSourceNamesThePath) {
  const auto copied = copy_out(root(), "/nope", host() / "x");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::not_found);
  EXPECT_EQ(copied.error().context, "/nope");
  EXPECT_NE(copied.error().describe().find("no such file or directory in the container"),
            std::string::npos);
}

TEST_F(ContainerCopy, MissingHostSourceSaysSo) {
  const auto copied = copy_in(host() / "nope", root(), "/x");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::not_found);
  EXPECT_NE(copied.error().message.find("on the host"), std::string::npos);
}

TEST_F(ContainerCopy, MissingDestinationParentFails) {
  const auto copied = copy_out(root(), "/data/hello.txt", host() / "no/such/x");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::not_found);
  EXPECT_NE(copied.error().message.find("parent directory"), std::string::npos);
  EXPECT_FALSE(fs::exists(host() / "no"));
}

TEST_F(ContainerCopy, FileToMissingDirectoryWithTrailingSlashFails) {
  const auto copied = copy_out(root(), "/data/hello.txt", (host() / "missing").string() + "/");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::not_found);
  EXPECT_FALSE(fs::exists(host() / "missing"));
}

TEST_F(ContainerCopy, DirectoryOntoFileFails) {
  const auto file = host_.write("file", "mine\n");
  const auto copied = copy_out(root(), "/data", file);
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::invalid_argument);
  EXPECT_EQ(read_file(file), "mine\n");
}

TEST_F(ContainerCopy, PreservesModeOwnerAndTimes) {
  const auto file = root() / "data/hello.txt";
  if (::geteuid() == 0) {
    ASSERT_EQ(::lchown(file.c_str(), 1234, 5678), 0);
    ASSERT_EQ(::lchown((root() / "data/link").c_str(), 4321, 8765), 0);
  }
  // After the chown, which would clear the set-user-ID bit.
  ASSERT_EQ(::chmod(file.c_str(), 04750), 0);
  ASSERT_EQ(::chmod((root() / "data/sub").c_str(), 0710), 0);
  set_mtime(file, kPast);
  set_mtime(root() / "data/sub", kPast + 1);
  set_mtime(root() / "data/link", kPast + 2);

  ASSERT_TRUE(copy_out(root(), "/data", host() / "out").ok());
  const auto copied = lstat_of(host() / "out/hello.txt");
  EXPECT_EQ(copied.st_mode & 07777, 04750U);
  EXPECT_EQ(copied.st_mtim.tv_sec, kPast);
  const auto sub = lstat_of(host() / "out/sub");
  EXPECT_EQ(sub.st_mode & 07777, 0710U);
  EXPECT_EQ(sub.st_mtim.tv_sec, kPast + 1);
  const auto link = lstat_of(host() / "out/link");
  EXPECT_EQ(link.st_mtim.tv_sec, kPast + 2);
  if (::geteuid() == 0) {
    EXPECT_EQ(copied.st_uid, 1234U);
    EXPECT_EQ(copied.st_gid, 5678U);
    EXPECT_EQ(link.st_uid, 4321U);
    EXPECT_EQ(link.st_gid, 8765U);
  }
}

TEST_F(ContainerCopy, CopyInPreservesModeAndTimes) {
  const auto source = host_.write("tool", "#!/bin/sh\n");
  ASSERT_EQ(::chmod(source.c_str(), 0755), 0);
  set_mtime(source, kPast);
  ASSERT_TRUE(copy_in(source, root(), "/data/tool").ok());
  const auto copied = lstat_of(root() / "data/tool");
  EXPECT_EQ(copied.st_mode & 07777, 0755U);
  EXPECT_EQ(copied.st_mtim.tv_sec, kPast);
}

TEST_F(ContainerCopy, SkipsFifosWithoutError) {
  ASSERT_EQ(::mkfifo((root() / "data/pipe").c_str(), 0644), 0);
  ASSERT_TRUE(copy_out(root(), "/data", host() / "out").ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(host() / "out/pipe")));
  EXPECT_EQ(read_file(host() / "out/hello.txt"), "hello\n");
}

TEST_F(ContainerCopy, TreeContainingItsDestinationStopsInsteadOfRecursing) {
  // The source holds the container's root, and so the copy's destination.
  TempDir top("berth-copy-top");
  top.write("a.txt", "a\n");
  fs::create_directory(top.path() / "rootfs");
  const auto copied = copy_in(top.path(), top.path() / "rootfs", "/copy");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, sdk::Errc::invalid_argument);
}

} // namespace
} // namespace berth::testing
