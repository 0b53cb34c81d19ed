// The conformance kit for storage drivers: the promises berth's layer and
// container stores rely on.
//
//   #include <berth/sdk/testing/storage_conformance.hpp>
//   extern "C" const berth_plugin_descriptor *berth_plugin(void);
//   using berth::sdk::testing::StorageDriverConformance;
//   INSTANTIATE_TEST_SUITE_P(MyDriver, StorageDriverConformance,
//                            ::testing::Values(&berth_plugin));
//
// The cases mount for real, so they need root; each test process moves into
// a private mount namespace first, so nothing it mounts reaches the host. A
// driver that answers "skip" on this host is skipped with its reason.
#pragma once

#include <berth/sdk/mount.hpp>
#include <berth/sdk/storage.hpp>
#include <berth/sdk/testing/plugin_conformance.hpp>

#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace berth::sdk::testing {

// A layer given as entries, for apply(). extract_to() writes the simple
// entries this kit uses; berth's own reader does the same with every check.
class EntryLayer final : public LayerReader {
public:
  struct Item {
    LayerEntry entry;
    std::string data;
  };
  explicit EntryLayer(std::vector<Item> items) : items_(std::move(items)) {}

  Result<bool> next(LayerEntry &entry) noexcept override {
    if (position_ >= items_.size()) {
      return false;
    }
    entry = items_[position_++].entry;
    return true;
  }
  Result<void> copy_data(int fd) noexcept override {
    const auto &data = items_[position_ - 1].data;
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      return errno_error("write", items_[position_ - 1].entry.path);
    }
    return {};
  }
  Result<void> extract_to(const std::filesystem::path &dir,
                          WhiteoutFormat format) noexcept override {
    LayerEntry entry;
    while (next(entry).value()) {
      const auto path = dir / entry.path;
      std::error_code ec;
      // Layers may name paths below directories they do not list.
      std::filesystem::create_directories(path.parent_path(), ec);
      switch (entry.type) {
      case EntryType::directory: std::filesystem::create_directories(path, ec); break;
      case EntryType::regular: {
        std::filesystem::remove_all(path, ec);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
          return errno_error("create", path.string());
        }
        auto written = copy_data(fd);
        ::close(fd);
        if (!written.ok()) {
          return written;
        }
        break;
      }
      case EntryType::symlink: ::symlink(entry.link.c_str(), path.c_str()); break;
      case EntryType::hardlink: ::link((dir / entry.link).c_str(), path.c_str()); break;
      case EntryType::whiteout:
        std::filesystem::remove_all(path, ec);
        if (format == WhiteoutFormat::overlay &&
            ::mknod(path.c_str(), S_IFCHR, ::makedev(0, 0)) != 0) {
          return errno_error("mknod", path.string());
        }
        continue;
      case EntryType::opaque:
        if (format == WhiteoutFormat::overlay) {
          std::filesystem::create_directories(path, ec);
          if (::setxattr(path.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
            return errno_error("setxattr", path.string());
          }
        } else {
          for (const auto &child : std::filesystem::directory_iterator(path, ec)) {
            std::filesystem::remove_all(child.path(), ec);
          }
        }
        continue;
      default: continue;
      }
      if (entry.type != EntryType::hardlink) {
        ::lchown(path.c_str(), entry.uid, entry.gid);
        if (entry.type != EntryType::symlink) {
          ::chmod(path.c_str(), entry.mode);
        }
        for (const auto &[name, value] : entry.xattrs) {
          ::lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0);
        }
      }
    }
    return {};
  }

private:
  std::vector<Item> items_;
  std::size_t position_ = 0;
};

inline EntryLayer::Item file_entry(std::string path, std::string data, std::uint32_t mode = 0644,
                                   std::uint32_t uid = 0) {
  LayerEntry entry{
      std::move(path), EntryType::regular, mode, uid, uid, 0, 0, data.size(), {}, 0, 0, {}};
  return {std::move(entry), std::move(data)};
}
inline EntryLayer::Item dir_entry(std::string path) {
  return {{std::move(path), EntryType::directory, 0755, 0, 0, 0, 0, 0, {}, 0, 0, {}}, {}};
}
inline EntryLayer::Item link_entry(std::string path, EntryType type, std::string target) {
  return {{std::move(path), type, 0777, 0, 0, 0, 0, 0, std::move(target), 0, 0, {}}, {}};
}

// A driver instance made through its descriptor, as berth makes it.
class StorageUnderTest {
public:
  explicit StorageUnderTest(EntryPoint entry) : descriptor_(entry()) {
    std::array<char, 512> reason{};
    if (descriptor_->probe != nullptr &&
        descriptor_->probe(reason.data(), reason.size()) == BERTH_SKIP) {
      skip_ = reason.data();
      return;
    }
    void *instance = nullptr;
    std::array<char, 512> message{};
    const auto options = default_options(*descriptor_).dump();
    const int rc =
        descriptor_->create(&host_, options.c_str(), &instance, message.data(), message.size());
    (rc == BERTH_SKIP ? skip_ : error_) = rc == BERTH_OK ? "" : message.data();
    driver_ = static_cast<StorageDriver *>(instance);
  }
  ~StorageUnderTest() {
    if (driver_ != nullptr) {
      descriptor_->destroy(driver_);
    }
  }
  StorageUnderTest(const StorageUnderTest &) = delete;
  StorageUnderTest &operator=(const StorageUnderTest &) = delete;
  StorageUnderTest(StorageUnderTest &&) = delete;
  StorageUnderTest &operator=(StorageUnderTest &&) = delete;

  [[nodiscard]] const std::string &skip_reason() const { return skip_; }
  [[nodiscard]] const std::string &error() const { return error_; }
  StorageDriver *operator->() { return driver_; }
  StorageDriver &operator*() { return *driver_; }
  TestHost &host() { return host_; }

private:
  const berth_plugin_descriptor *descriptor_;
  TestHost host_;
  StorageDriver *driver_ = nullptr;
  std::string skip_;
  std::string error_;
};

class StorageDriverConformance : public ::testing::TestWithParam<EntryPoint> {
protected:
  void SetUp() override {
    if (!private_mounts()) {
      GTEST_SKIP() << "the storage kit mounts for real and needs root (CAP_SYS_ADMIN)";
    }
    driver_ = std::make_unique<StorageUnderTest>(GetParam());
    if (!driver_->skip_reason().empty()) {
      GTEST_SKIP() << "cannot run on this host: " << driver_->skip_reason();
    }
    ASSERT_TRUE(driver_->error().empty()) << driver_->error();
  }

  void TearDown() override {
    for (auto it = mounted_.rbegin(); it != mounted_.rend(); ++it) {
      (void)unmount(*it);
    }
  }

  // Moves this test process into a mount namespace of its own, once.
  static bool private_mounts() {
    static const bool done = ::unshare(CLONE_NEWNS) == 0 &&
                             ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    return done;
  }

  StorageDriver &driver() { return **driver_; }

  // Mounts key's mounts on a fresh directory and returns it.
  std::filesystem::path mount(const std::string &key) {
    auto mounts = driver().mounts(key);
    EXPECT_TRUE(mounts.ok()) << mounts.error().describe();
    const auto target = *driver_->host().state_dir() / ("mnt-" + std::to_string(mounted_.size()));
    std::filesystem::create_directories(target);
    if (mounts.ok()) {
      auto done = mount_all(*mounts, target);
      EXPECT_TRUE(done.ok()) << done.error().describe();
      mounted_.push_back(target);
    }
    return target;
  }

  // Applies items to the active snapshot key, natively or through a mount.
  void apply(const std::string &key, std::vector<EntryLayer::Item> items) {
    EntryLayer layer(std::move(items));
    if (auto *native = query_interface<LayerApply>(driver())) {
      auto done = native->apply(key, layer);
      ASSERT_TRUE(done.ok()) << done.error().describe();
      return;
    }
    const auto target = mount(key);
    auto done = layer.extract_to(target, WhiteoutFormat::remove);
    ASSERT_TRUE(done.ok()) << done.error().describe();
    (void)unmount(target);
    mounted_.pop_back();
  }

  // prepare + apply + commit under name, on top of parent.
  void layer(const std::string &name, const std::string &parent,
             std::vector<EntryLayer::Item> items) {
    auto prepared = driver().prepare(name + "-active", parent);
    ASSERT_TRUE(prepared.ok()) << prepared.error().describe();
    apply(name + "-active", std::move(items));
    auto committed = driver().commit(name, name + "-active");
    ASSERT_TRUE(committed.ok()) << committed.error().describe();
  }

  // Every path below root, sorted, "/" after directories.
  static std::string tree(const std::filesystem::path &root) {
    std::vector<std::string> paths;
    for (const auto &entry : std::filesystem::recursive_directory_iterator(root)) {
      auto path = std::filesystem::relative(entry.path(), root).string();
      paths.push_back(entry.is_directory() && !entry.is_symlink() ? path + "/" : path);
    }
    std::sort(paths.begin(), paths.end());
    std::string out;
    for (const auto &path : paths) {
      out += path + "\n";
    }
    return out;
  }

  static std::string read(const std::filesystem::path &file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::unique_ptr<StorageUnderTest> driver_;
  std::vector<std::filesystem::path> mounted_;
};

TEST_P(StorageDriverConformance, PrepareCommitAndViewFollowTheSnapshotModel) {
  ASSERT_TRUE(driver().prepare("base-active", "").ok());
  std::ofstream(mount("base-active") / "hello") << "world";
  ASSERT_TRUE(driver().commit("base", "base-active").ok());
  EXPECT_EQ(driver().stat("base-active").error().code, Errc::not_found);
  auto info = driver().stat("base");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, SnapshotKind::committed);
  EXPECT_FALSE(driver().mounts("base").ok()) << "a committed snapshot is mounted through a view";

  ASSERT_TRUE(driver().view("look", "base").ok());
  const auto view = mount("look");
  EXPECT_EQ(read(view / "hello"), "world");
  EXPECT_FALSE(std::ofstream(view / "new").good()) << "a view must be read-only";

  ASSERT_TRUE(driver().prepare("child", "base").ok());
  const auto child = mount("child");
  std::ofstream(child / "mine") << "1";
  EXPECT_EQ(tree(child), "hello\nmine\n");
  EXPECT_EQ(tree(view), "hello\n") << "a sibling's writes never show through";

  EXPECT_EQ(driver().prepare("child", "base").error().code, Errc::already_exists);
  EXPECT_EQ(driver().prepare("orphan", "no-such-parent").error().code, Errc::not_found);
  EXPECT_FALSE(driver().commit("frozen", "look").ok()) << "only active snapshots commit";
  std::set<std::string> keys;
  ASSERT_TRUE(driver().walk([&](const SnapshotInfo &s) { keys.insert(s.key); }).ok());
  EXPECT_EQ(keys, (std::set<std::string>{"base", "child", "look"}));
}

TEST_P(StorageDriverConformance, AParentWithChildrenCannotBeRemoved) {
  layer("base", "", {file_entry("a", "1")});
  ASSERT_TRUE(driver().prepare("child", "base").ok());
  EXPECT_EQ(driver().remove("base").error().code, Errc::busy);
  ASSERT_TRUE(driver().remove("child").ok());
  EXPECT_TRUE(driver().remove("base").ok());
  EXPECT_EQ(driver().remove("base").error().code, Errc::not_found);
}

TEST_P(StorageDriverConformance, WhiteoutsAndOpaqueDirectoriesAcrossThreeLayers) {
  layer("one", "",
        {dir_entry("a"), file_entry("a/keep", "1"), file_entry("a/gone", "1"), dir_entry("d"),
         file_entry("d/old", "1"), dir_entry("d/sub"), file_entry("d/sub/deep", "1")});
  layer("two", "one",
        {link_entry("a/gone", EntryType::whiteout, ""), link_entry("d", EntryType::opaque, ""),
         file_entry("d/new", "2")});
  layer("three", "two",
        {file_entry("a/gone", "3"), link_entry("a/keep", EntryType::whiteout, ""),
         file_entry("d/third", "3")});
  ASSERT_TRUE(driver().view("top", "three").ok());
  const auto top = mount("top");
  EXPECT_EQ(tree(top), "a/\na/gone\nd/\nd/new\nd/third\n");
  EXPECT_EQ(read(top / "a" / "gone"), "3");
  ASSERT_TRUE(driver().view("middle", "two").ok());
  EXPECT_EQ(tree(mount("middle")), "a/\na/keep\nd/\nd/new\n");
}

TEST_P(StorageDriverConformance, KeepsModesOwnersLinksAndXattrs) {
  auto tagged = file_entry("tool", "#!/bin/sh\n", 04755);
  tagged.entry.xattrs = {{"user.kit", "kept"}};
  layer("base", "",
        {tagged, file_entry("secret", "s", 0600, 42),
         link_entry("alias", EntryType::symlink, "tool"),
         link_entry("twin", EntryType::hardlink, "tool")});
  // A child snapshot must carry all of it too (vfs copies, overlay shares).
  ASSERT_TRUE(driver().prepare("child", "base").ok());
  for (const auto *key : {"child"}) {
    const auto root = mount(key);
    struct stat tool {};
    struct stat twin {};
    struct stat secret {};
    ASSERT_EQ(::stat((root / "tool").c_str(), &tool), 0);
    ASSERT_EQ(::stat((root / "twin").c_str(), &twin), 0);
    ASSERT_EQ(::stat((root / "secret").c_str(), &secret), 0);
    EXPECT_EQ(tool.st_mode & 07777, 04755U);
    EXPECT_EQ(tool.st_ino, twin.st_ino) << "hard links stay linked";
    EXPECT_EQ(secret.st_uid, 42U);
    EXPECT_EQ(secret.st_mode & 07777, 0600U);
    EXPECT_EQ(std::filesystem::read_symlink(root / "alias"), "tool");
    std::array<char, 16> value{};
    const auto size = ::getxattr((root / "tool").c_str(), "user.kit", value.data(), value.size());
    EXPECT_EQ(std::string(value.data(), size > 0 ? static_cast<std::size_t>(size) : 0), "kept");
  }
}

TEST_P(StorageDriverConformance, TwoHundredLayerChainMounts) {
  std::string parent;
  for (int i = 0; i < 200; ++i) {
    const auto name = "layer-" + std::to_string(i);
    layer(name, parent, {file_entry(name, std::to_string(i))});
    parent = name;
  }
  ASSERT_TRUE(driver().prepare("container", parent).ok());
  const auto root = mount("container");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(root),
                          std::filesystem::directory_iterator()),
            200);
  EXPECT_EQ(read(root / "layer-0"), "0");
  EXPECT_EQ(read(root / "layer-199"), "199");
}

TEST_P(StorageDriverConformance, ConcurrentPreparesAllSucceed) {
  layer("base", "", {file_entry("a", "1")});
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { ok[i] = driver().prepare("c" + std::to_string(i), "base").ok() ? 1 : 0; });
  }
  for (auto &thread : threads) {
    thread.join();
  }
  EXPECT_EQ(std::count(ok.begin(), ok.end(), 1), kThreads);
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(read(mount("c" + std::to_string(i)) / "a"), "1");
  }
}

TEST_P(StorageDriverConformance, RemoveAndRecreateTheSameKey) {
  ASSERT_TRUE(driver().prepare("again", "").ok());
  auto first = mount("again");
  std::ofstream(first / "old") << "x";
  ASSERT_TRUE(unmount(first).ok());
  mounted_.pop_back();
  ASSERT_TRUE(driver().remove("again").ok());
  ASSERT_TRUE(driver().prepare("again", "").ok());
  EXPECT_EQ(tree(mount("again")), "") << "a re-created key starts empty";
}

TEST_P(StorageDriverConformance, UsageCountsASnapshotsOwnData) {
  layer("base", "", {file_entry("big", std::string(1 << 20, 'x'))});
  auto base = driver().usage("base");
  ASSERT_TRUE(base.ok()) << base.error().describe();
  EXPECT_GE(base->bytes, 1U << 20U);
  EXPECT_GE(base->inodes, 1U);
  ASSERT_TRUE(driver().view("look", "base").ok());
  auto view = driver().usage("look");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->bytes, 0U) << "a view holds no data of its own";
}

} // namespace berth::sdk::testing
