// Files a container can write, grown to gigabytes (sparse here, so the
// test costs nothing): berth reads a bounded, line-aligned part of them.
#include "network/sandbox_io.hpp"
#include "support/temp_dir.hpp"
#include "util/in_root.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

constexpr off_t kTwoGiB = off_t{2} << 30;

// file holds text, then holes up to size bytes.
void grow(const fs::path &file, const std::string &text, off_t size) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ASSERT_EQ(::ftruncate(fd, size), 0);
  ::close(fd);
}

TEST(BoundedRead, AGiantPasswdIsReadOnlyUpToTheLimit) {
  TempDir root;
  fs::create_directories(root.path() / "etc");
  grow(root.path() / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", kTwoGiB);
  const auto text = read_file_in_root(root.path(), "/etc/passwd");
  ASSERT_TRUE(text.has_value());
  EXPECT_LE(text->size(), kContainerFileLimit);
  EXPECT_EQ(text->rfind("root:x:0:0:", 0), 0U);
}

TEST(BoundedRead, ALongFileIsCutAfterItsLastWholeLine) {
  TempDir dir;
  const auto file = dir.write("group", "staff:x:50:\napp:x:1000:\n");
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  // 20 bytes end inside "app:x:1000:", which must not be read as gid 10.
  EXPECT_EQ(read_whole_lines(fd, 20), "staff:x:50:\n");
  ::close(fd);
}

TEST(BoundedRead, PeersAreWrittenIntoAGiantHostsFileWithoutReadingItAll) {
  TempDir dir;
  const auto hosts = dir.path() / "hosts";
  grow(hosts, "127.0.0.1\tlocalhost\n", kTwoGiB);
  ASSERT_TRUE(rewrite_hosts_peers(hosts, {{"10.0.0.2", {"web"}}}).ok());
  EXPECT_LE(fs::file_size(hosts), kContainerFileLimit + 4096);
  const auto text = read_file(hosts);
  EXPECT_EQ(text.rfind("127.0.0.1\tlocalhost\n", 0), 0U);
  EXPECT_NE(text.find("10.0.0.2\tweb\n"), std::string::npos);
}

} // namespace
} // namespace berth::testing
