// Volumes and bind mounts: data that outlives containers, what may not be
// removed while in use, read-only binds, anonymous volumes and prune.
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <sys/mount.h>

#include <algorithm>

namespace berth::testing {
namespace {

class ContainerVolumes : public ContainerTest {
protected:
  std::vector<std::string> volume_names() const {
    const auto done = berth({"volume", "ls", "-q"});
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return lines(done.out);
  }
};

TEST_F(ContainerVolumes, ANamedVolumeOutlivesItsContainersAndCannotGoWhileUsed) {
  const auto created = berth({"volume", "create", "v1"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "v1\n");
  const auto wrote = berth(
      {"run", "--name", "writer", "-v", "v1:/data", kImage, "sh", "-c", "echo payload > /data/x"});
  ASSERT_EQ(wrote.exit_code, 0) << wrote.err;
  track(inspect("writer").value("Id", ""));
  const auto read = berth({"run", "--rm", "-v", "v1:/data", kImage, "cat", "/data/x"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.out, "payload\n");

  // In use by a stopped container, then by a running one too.
  auto refused = berth({"volume", "rm", "v1"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(lines(refused.err).size(), 1U) << refused.err;
  EXPECT_NE(refused.err.find("in use"), std::string::npos) << refused.err;
  const auto reader = run_detached({"-v", "v1:/data", kImage, "sleep", "1000"});
  ASSERT_EQ(berth({"rm", "writer"}).exit_code, 0);
  refused = berth({"volume", "rm", "v1"});
  EXPECT_NE(refused.exit_code, 0) << "removed while a running container uses it";
  EXPECT_EQ(lines(refused.err).size(), 1U) << refused.err;
  ASSERT_EQ(berth({"rm", "-f", reader}).exit_code, 0);

  EXPECT_EQ(volume_names(), std::vector<std::string>{"v1"}) << "rm took the volume along";
  EXPECT_EQ(berth({"run", "--rm", "-v", "v1:/data", kImage, "cat", "/data/x"}).out, "payload\n");
  const auto removed = berth({"volume", "rm", "v1"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, "v1\n");
  EXPECT_TRUE(volume_names().empty());
}

TEST_F(ContainerVolumes, BindMountsAreReadOnlyWithRoAndWritableWithout) {
  const auto host = tmp().write("shared/file", "from host\n").parent_path();
  const auto ro = berth({"run", "--rm", "-v", host.string() + ":/data:ro", kImage, "sh", "-c",
                         "cat /data/file; touch /data/new"});
  EXPECT_NE(ro.exit_code, 0) << "touch succeeded on a read-only bind";
  EXPECT_EQ(ro.out, "from host\n");
  EXPECT_EQ(ro.err, "touch: /data/new: Read-only file system\n");
  EXPECT_FALSE(std::filesystem::exists(host / "new"));

  const auto rw = berth({"run", "--rm", "-v", host.string() + ":/data", kImage, "sh", "-c",
                         "echo from container > /data/new"});
  EXPECT_EQ(rw.exit_code, 0) << rw.err;
  EXPECT_EQ(read_file(host / "new"), "from container\n");
}

// A read-only volume nested in a writable one is made read-only at the fd
// of its mount point, as is everything mounted below a read-only bind.
TEST_F(ContainerVolumes, ANestedReadOnlyVolumeAndWhatIsMountedBelowOneStayReadOnly) {
  const auto host = tmp().write("tree/file", "from host\n").parent_path();
  std::filesystem::create_directories(host / "below");
  ASSERT_EQ(::mount("tmpfs", (host / "below").c_str(), "tmpfs", 0, "size=1m"), 0);
  const auto ran = berth({"run", "--rm", "-v", "outer:/data", "-v", "inner:/data/sub:ro", "-v",
                          host.string() + ":/host:ro", kImage, "sh", "-c",
                          "touch /data/ok && ! touch /data/sub/x 2>/dev/null && "
                          "! touch /host/below/x 2>/dev/null && "
                          "awk '$2 == \"/data/sub\" && $4 ~ /^ro,/' /proc/mounts | wc -l"});
  ::umount2((host / "below").c_str(), MNT_DETACH);
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_EQ(ran.out, "1\n");
  ASSERT_EQ(berth({"volume", "rm", "outer", "inner"}).exit_code, 0);
}

TEST_F(ContainerVolumes, AnAnonymousVolumeIsListedAndGoesWithRmV) {
  const auto done =
      berth({"run", "--name", "anon", "-v", "/data", kImage, "sh", "-c", "echo kept > /data/f"});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto container = inspect("anon");
  track(container.value("Id", ""));

  const auto listed = berth({"volume", "ls", "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto volumes = nlohmann::json::parse(listed.out, nullptr, false);
  ASSERT_TRUE(volumes.is_array() && volumes.size() == 1U) << listed.out;
  const auto name = volumes[0].value("Name", "");
  EXPECT_EQ(volumes[0]["Anonymous"], true);
  EXPECT_EQ(volumes[0]["Driver"], "local");
  EXPECT_EQ(read_file(volumes[0].value("Mountpoint", "") + "/f"), "kept\n");
  ASSERT_EQ(container["Mounts"].size(), 1U) << container["Mounts"].dump();
  EXPECT_EQ(container["Mounts"][0]["Name"], name);

  const auto inspected = berth({"volume", "inspect", name});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  const auto one = nlohmann::json::parse(inspected.out, nullptr, false);
  ASSERT_TRUE(one.is_array() && one.size() == 1U) << inspected.out;
  EXPECT_EQ(one[0], volumes[0]);

  const auto removed = berth({"rm", "-v", "anon"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(volume_names().empty());
  EXPECT_FALSE(std::filesystem::exists(volumes[0].value("Mountpoint", "")));
}

TEST_F(ContainerVolumes, PruneRemovesUnusedAnonymousVolumesAndWithAllNamedOnes) {
  ASSERT_EQ(berth({"volume", "create", "keep"}).exit_code, 0);
  ASSERT_EQ(berth({"volume", "create", "used"}).exit_code, 0);
  const auto user = berth({"create", "-v", "used:/data", kImage, "true"});
  ASSERT_EQ(user.exit_code, 0) << user.err;
  track(user.out.substr(0, 64));
  ASSERT_EQ(berth({"run", "--name", "gone", "-v", "/data", kImage, "true"}).exit_code, 0);
  ASSERT_EQ(berth({"rm", "gone"}).exit_code, 0);
  auto names = volume_names();
  ASSERT_EQ(names.size(), 3U);
  std::string anonymous;
  for (const auto &name : names) {
    if (name != "keep" && name != "used") {
      anonymous = name;
    }
  }

  const auto pruned = berth({"volume", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(pruned.out, "Deleted Volumes:\n" + anonymous + "\n");
  names = volume_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"keep", "used"}));

  const auto all = berth({"volume", "prune", "-a", "-f"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out, "Deleted Volumes:\nkeep\n");
  EXPECT_EQ(volume_names(), std::vector<std::string>{"used"});
}

} // namespace
} // namespace berth::testing
