// The store syncs its commits lazily, so an operating-system crash may lose
// the last ones while the files they described stay (or the other way
// round). Such a root is made here as a crash would leave it: rows taken out
// or files removed behind berth's back, directories dated before this boot,
// and root/boot-id naming another boot. The next command must reconcile it.
#include "container_fixture.hpp"

#include "store/sqlite.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <array>
#include <ctime>
#include <fstream>

namespace berth::testing {
namespace {

namespace fs = std::filesystem;

class RebootRecoveryTest : public ContainerTest {
protected:
  std::string create(const std::string &name) {
    const auto made = berth({"create", "--name", name, kImage, "true"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    auto id = made.out.substr(0, made.out.find('\n'));
    track(id);
    return id;
  }

  std::int64_t count(const std::string &sql, const std::string &value) const {
    Database db(root() / "berth.db");
    auto query = db.prepare(sql);
    query.bind(1, value);
    return query.step() ? query.integer(0) : -1;
  }

  void execute(const std::string &sql, const std::string &value) const {
    Database db(root() / "berth.db");
    db.prepare(sql).bind(1, value).run();
  }

  // As if the crash came a day after the directory was last changed.
  static void date_before_boot(const fs::path &path) {
    timespec yesterday{::time(nullptr) - 86400 * 365, 0};
    std::array<timespec, 2> times{yesterday, yesterday};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times.data(), 0), 0) << path;
  }

  void pretend_another_boot() const {
    std::ofstream(root() / "boot-id") << "00000000-0000-0000-0000-000000000000\n";
  }

  std::set<std::string> names() const {
    const auto listed = berth({"ps", "-a", "--format", "{{.Names}}"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    auto all = lines(listed.out);
    return {all.begin(), all.end()};
  }
};

TEST_F(RebootRecoveryTest, AContainerWhoseRowWasLostLosesItsDirectorySnapshotAndNetworkRecords) {
  const auto kept = create("kept");
  const auto lost = create("lost");
  ASSERT_EQ(count("SELECT count(*) FROM network_members WHERE container = ?", lost), 1);
  execute("DELETE FROM containers WHERE id = ?", lost);
  date_before_boot(root() / "containers" / lost);
  pretend_another_boot();

  EXPECT_EQ(names(), (std::set<std::string>{"kept"}));
  EXPECT_FALSE(fs::exists(root() / "containers" / lost));
  EXPECT_TRUE(fs::exists(root() / "containers" / kept));
  EXPECT_EQ(count("SELECT count(*) FROM plugin_kv WHERE key LIKE '%' || ?", "container-" + lost),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM plugin_kv WHERE key LIKE '%' || ?", "container-" + kept),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM network_members WHERE container = ?", lost), 0);
  std::ifstream marker(root() / "boot-id");
  std::string recorded;
  std::getline(marker, recorded);
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string current;
  std::getline(boot, current);
  EXPECT_EQ(recorded, current);
}

TEST_F(RebootRecoveryTest, AContainerWhoseRemovalWasLostIsRemovedAndItsVolumesKept) {
  const auto made = berth({"create", "--name", "gone", "-v", "/data", kImage, "true"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto gone = made.out.substr(0, made.out.find('\n'));
  track(gone);
  const auto volumes = berth({"volume", "ls", "-q"});
  ASSERT_EQ(lines(volumes.out).size(), 1U) << volumes.out << volumes.err;
  // rm's files went (the rootfs first, as rm unmounts it), its commit did not.
  for (const auto &mount : mounts_under(root() / "containers" / gone)) {
    ASSERT_EQ(::umount2(mount.c_str(), MNT_DETACH), 0) << mount;
  }
  fs::remove_all(root() / "containers" / gone);
  pretend_another_boot();

  EXPECT_TRUE(names().empty());
  EXPECT_EQ(count("SELECT count(*) FROM plugin_kv WHERE key LIKE '%' || ?", "container-" + gone),
            0);
  EXPECT_EQ(berth({"volume", "ls", "-q"}).out, volumes.out);
  const auto again = berth({"create", "--name", "gone", kImage, "true"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  track(again.out.substr(0, again.out.find('\n')));
}

TEST_F(RebootRecoveryTest, AVolumeWhoseRowWasLostIsListedAgainWithItsFiles) {
  const auto made = berth({"volume", "create", "notes"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  tmp().write("payload", "kept\n");
  fs::copy_file(tmp().path() / "payload", root() / "volumes" / "notes" / "_data" / "payload");
  execute("DELETE FROM volumes WHERE name = ?", "notes");
  date_before_boot(root() / "volumes" / "notes");
  pretend_another_boot();

  const auto listed = berth({"volume", "ls", "-q"});
  EXPECT_EQ(listed.out, "notes\n") << listed.err;
  const auto read = berth({"run", "--rm", "-v", "notes:/n", kImage, "cat", "/n/payload"});
  EXPECT_EQ(read.out, "kept\n") << read.err;
}

TEST_F(RebootRecoveryTest, ARmContainerTheCrashStoppedIsRemovedAsDockerdDoes) {
  const auto made = berth({"create", "--rm", "--name", "ephemeral", kImage, "true"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto id = made.out.substr(0, made.out.find('\n'));
  track(id);
  create("kept");
  EXPECT_EQ(names(), (std::set<std::string>{"ephemeral", "kept"}));
  date_before_boot(root() / "containers" / id);
  pretend_another_boot();

  EXPECT_EQ(names(), (std::set<std::string>{"kept"}));
  EXPECT_FALSE(fs::exists(root() / "containers" / id));
  EXPECT_EQ(count("SELECT count(*) FROM plugin_kv WHERE key LIKE '%' || ?", "container-" + id), 0);
}

TEST_F(RebootRecoveryTest, ADirectoryMadeInThisBootIsLeftToTheCommandMakingIt) {
  const auto busy = root() / "containers" / std::string(64, 'a');
  fs::create_directories(busy);
  pretend_another_boot();

  EXPECT_TRUE(names().empty());
  EXPECT_TRUE(fs::exists(busy));
  fs::remove_all(busy);
}

TEST_F(RebootRecoveryTest, NothingIsReconciledTwiceInOneBoot) {
  ASSERT_EQ(berth({"ps"}).exit_code, 0);
  const auto lost = create("lost");
  execute("DELETE FROM containers WHERE id = ?", lost);
  date_before_boot(root() / "containers" / lost);

  EXPECT_TRUE(names().empty());
  EXPECT_TRUE(fs::exists(root() / "containers" / lost));
  pretend_another_boot();
  EXPECT_TRUE(names().empty());
  EXPECT_FALSE(fs::exists(root() / "containers" / lost));
}

} // namespace
} // namespace berth::testing
