// The image commands end to end, on both in-tree storage drivers. Every berth
// process runs in a private mount namespace (unshare), so that mounts made by
// a test die with it and never reach the host.
#include "image/digest.hpp"
#include "support/image_builder.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>

namespace berth::testing {
namespace {

class ImagesTest : public ::testing::TestWithParam<std::string> {
protected:
  ImagesTest() {
    stack_ =
        tmp_.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\nroot: " + root().string() +
                                     "\nstorage:\n  driver: " + GetParam() + "\n");
  }

  [[nodiscard]] std::filesystem::path root() const { return tmp_.path() / "root"; }

  Completed berth(std::vector<std::string> args) const {
    args.insert(args.begin(),
                {"/usr/bin/unshare", "--mount", "--propagation", "private", BERTH_EXECUTABLE});
    return run_process(args, {{"BERTH_STACK", stack_.string()}});
  }

  // Runs script under sh in one private mount namespace; $BERTH is berth.
  Completed sandboxed(const std::string &script) const {
    return run_process(
        {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-ec", script},
        {{"BERTH_STACK", stack_.string()}, {"BERTH", BERTH_EXECUTABLE}});
  }

  // What a mounted image shows, one command's output.
  std::string in_image(const std::string &ref, const std::string &command) const {
    auto done = sandboxed("p=$($BERTH image mount " + ref + "); cd \"$p\"; " + command +
                          "; cd /; $BERTH image umount " + ref);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return done.out;
  }

  static std::size_t entries(const std::filesystem::path &dir) {
    std::error_code ec;
    std::size_t count = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); ++it) {
      ++count;
    }
    return count;
  }

  // Nothing left: no blob, no temporary file, no snapshot, no layer row.
  void expect_clean_store() const {
    EXPECT_EQ(entries(root() / "blobs" / "sha256"), 0U);
    EXPECT_EQ(entries(root() / "blobs" / "tmp"), 0U);
    EXPECT_EQ(entries(root() / "tmp"), 0U);
    EXPECT_EQ(entries(root() / "plugins" / GetParam() / "snapshots"), 0U);
  }

  nlohmann::json images() const {
    auto done = berth({"images", "--format", "json"});
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return nlohmann::json::parse(done.out);
  }

  TempDir tmp_{"berth-images"};
  std::filesystem::path stack_;
};

std::vector<TarEntry> rich_root() {
  auto secret = file("etc/shadow", "root:*:1::::::\n", 0640);
  secret.uid = 42;
  auto tagged = file("usr/bin/tool", "#!/bin/sh\necho tool\n", 04755);
  tagged.xattrs = {{"user.berth", "kept"}};
  return {dir("etc"),
          file("etc/hostname", "box\n"),
          secret,
          dir("usr"),
          dir("usr/bin"),
          tagged,
          symlink("usr/bin/alias", "tool"),
          hardlink("usr/bin/twin", "usr/bin/tool"),
          {"run/pipe", TarEntry::Type::fifo, {}, 0600, 0, {}}};
}

TEST_P(ImagesTest, ImportKeepsModesOwnersLinksAndXattrs) {
  const auto tarball = tmp_.path() / "root.tar";
  write_tar(tarball, rich_root());
  auto imported = berth({"import", tarball.string(), "example/rich:1"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  auto inspect = berth({"image", "inspect", "example/rich:1"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const auto image = nlohmann::json::parse(inspect.out).at(0);
  std::ifstream in(tarball, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(image["Layers"][0]["DiffID"], sha256_digest(bytes.str()));
  EXPECT_EQ(image["RepoTags"], nlohmann::json({"example/rich:1"}));
  EXPECT_EQ(image["GraphDriver"]["Name"], GetParam());

  const auto seen =
      in_image("example/rich:1",
               "stat -c '%n %a %u' etc/shadow usr/bin/tool; readlink usr/bin/alias; "
               "[ $(stat -c %i usr/bin/tool) = $(stat -c %i usr/bin/twin) ] && echo linked; "
               "getfattr --only-values -n user.berth usr/bin/tool; echo; stat -c %F run/pipe; "
               "stat -c %Y etc/hostname; touch etc/x 2>/dev/null || echo read-only");
  EXPECT_EQ(seen, "etc/shadow 640 42\nusr/bin/tool 4755 0\ntool\nlinked\nkept\nfifo\n"
                  "1700000000\nread-only\n");

  auto removed = berth({"rmi", "example/rich:1"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_NE(removed.out.find("Deleted: " + image["Id"].get<std::string>()), std::string::npos);
  EXPECT_TRUE(images().empty());
  expect_clean_store();
}

TEST_P(ImagesTest, WhiteoutsAndOpaqueDirectoriesAcrossThreeLayers) {
  const auto archive = tmp_.path() / "image.tar";
  write_oci_archive(
      archive,
      {{dir("a"), file("a/keep", "1"), file("a/gone", "1"), dir("d"), file("d/old", "1"),
        dir("d/sub"), file("d/sub/deep", "1")},
       {file("a/.wh.gone", ""), dir("d"), file("d/.wh..wh..opq", ""), file("d/new", "2")},
       {file("a/gone", "3"), file("a/.wh.keep", ""), file("d/third", "3")}},
      "layers:3");
  auto loaded = berth({"load", "-i", archive.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(loaded.out, "Loaded image: layers:3\n");
  EXPECT_EQ(in_image("layers:3", "find . | sort; cat a/gone"),
            ".\n./a\n./a/gone\n./d\n./d/new\n./d/third\n3");
}

// The same layer means the same tree on every driver: here a directory
// deleted and made again in one layer hides what the lower one had.
TEST_P(ImagesTest, ADirectoryMadeAgainHidesTheLowerOne) {
  const auto archive = tmp_.path() / "again.tar";
  write_oci_archive(archive,
                    {{dir("etc"), file("etc/old", "1"), file("etc/keep", "1")},
                     {file(".wh.etc", ""), dir("etc"), file("etc/new", "2")}},
                    "again:1");
  auto loaded = berth({"load", "-i", archive.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(in_image("again:1", "ls etc"), "new\n");
}

TEST_P(ImagesTest, TwoHundredLayersMount) {
  std::vector<std::vector<TarEntry>> layers;
  for (int i = 0; i < 200; ++i) {
    layers.push_back({file("layer-" + std::to_string(i), std::to_string(i))});
  }
  const auto archive = tmp_.path() / "deep.tar";
  write_oci_archive(archive, layers, "deep:200");
  auto loaded = berth({"load", "-i", archive.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(in_image("deep:200", "ls | wc -l; cat layer-0 layer-199"), "200\n0199");
}

TEST_P(ImagesTest, SaveLoadRoundTripAndTags) {
  const auto tarball = tmp_.path() / "root.tar.gz";
  write_tar(tarball, rich_root(), true);
  ASSERT_EQ(berth({"import", tarball.string(), "app"}).exit_code, 0);
  ASSERT_EQ(berth({"tag", "app", "registry.local:5000/team/app:2"}).exit_code, 0);
  const auto saved = tmp_.path() / "saved.tar";
  auto save = berth({"save", "-o", saved.string(), "app:latest"});
  ASSERT_EQ(save.exit_code, 0) << save.err;
  const auto before = images();
  ASSERT_EQ(before.size(), 1U);
  EXPECT_EQ(before[0]["RepoTags"],
            nlohmann::json({"app:latest", "registry.local:5000/team/app:2"}));

  auto untag = berth({"rmi", "app"});
  EXPECT_EQ(untag.out, "Untagged: app:latest\n");
  auto by_id = berth({"rmi", before[0]["Id"].get<std::string>().substr(7, 12)});
  EXPECT_EQ(by_id.exit_code, 0) << by_id.err;
  expect_clean_store();

  auto loaded = berth({"load", "-i", saved.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(loaded.out, "Loaded image: app:latest\n");
  EXPECT_EQ(images()[0]["Id"], before[0]["Id"]);
  auto history = berth({"history", "--format", "json", "app"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(nlohmann::json::parse(history.out)[0]["Comment"], "imported from tarball");
}

TEST_P(ImagesTest, ConcurrentImportsAndRemovalsKeepTheStoreWhole) {
  const auto a = tmp_.path() / "a.tar";
  const auto b = tmp_.path() / "b.tar";
  write_tar(a, {file("a", "a")});
  write_tar(b, {file("b", "b"), dir("x"), file("x/y", "y")});
  for (int round = 0; round < 4; ++round) {
    auto first = std::async(std::launch::async, [&] { return berth({"import", a.string(), "a"}); });
    auto second = std::async(std::launch::async, [&] {
      return berth({"import", b.string(), "b"});
    });
    auto third = std::async(std::launch::async, [&] { return berth({"image", "prune", "-a"}); });
    for (auto *done : {&first, &second, &third}) {
      const auto result = done->get();
      EXPECT_EQ(result.exit_code, 0) << result.err;
    }
  }
  ASSERT_EQ(berth({"import", a.string(), "a"}).exit_code, 0);
  ASSERT_EQ(berth({"import", b.string(), "b"}).exit_code, 0);
  EXPECT_EQ(in_image("b", "cat x/y"), "y");
  ASSERT_EQ(berth({"image", "prune", "-a"}).exit_code, 0);
  expect_clean_store();
}

struct Hostile {
  const char *name;
  std::vector<TarEntry> entries;
  const char *message;
};

TEST_P(ImagesTest, HostileLayersAreRefusedAndLeaveNothing) {
  const std::vector<Hostile> cases = {
      {"dotdot", {file("../escape", "x")}, "path climbs out of the root"},
      {"absolute", {file("/etc/escape", "x")}, "absolute path"},
      {"symlink",
       {symlink("evil", "/tmp"), file("evil/escape", "x")},
       "through the symlink 'evil'"},
      {"hardlink", {hardlink("link", "../../etc/passwd")}, "points outside the layer"},
      {"hardlink-missing", {hardlink("link", "etc/passwd")}, "not a file earlier in this layer"},
      // A file replaced by a symlink out, then linked to under a new name.
      {"relinked",
       {file("x", "1"), symlink("x", "/"), hardlink("y", "x"), file("y/escape", "x")},
       "not a file earlier in this layer"},
  };
  for (const auto &c : cases) {
    const auto tarball = tmp_.path() / (std::string(c.name) + ".tar");
    write_tar(tarball, c.entries);
    auto done = berth({"import", tarball.string(), std::string("hostile:") + c.name});
    EXPECT_EQ(done.exit_code, 1) << c.name;
    EXPECT_NE(done.err.find(c.message), std::string::npos) << c.name << ": " << done.err;
    EXPECT_EQ(std::count(done.err.begin(), done.err.end(), '\n'), 1) << done.err;
    EXPECT_TRUE(images().empty()) << c.name;
    expect_clean_store();
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/escape"));
}

TEST_P(ImagesTest, CorruptArchivesAreRefusedAndLeaveNothing) {
  // Truncated gzip.
  const auto good = tmp_.path() / "good.tar.gz";
  write_tar(good, rich_root(), true);
  const auto truncated = tmp_.path() / "truncated.tar.gz";
  std::filesystem::copy_file(good, truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(good) / 2);
  auto done = berth({"import", truncated.string(), "broken"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("corrupt or truncated"), std::string::npos) << done.err;
  expect_clean_store();

  // A blob altered after the manifest named it.
  const auto layout = tmp_.path() / "layout";
  write_oci_layout(layout, {{file("a", "original")}}, "altered");
  for (const auto &blob : std::filesystem::directory_iterator(layout / "blobs" / "sha256")) {
    if (std::filesystem::file_size(blob.path()) > 1000) {
      std::fstream(blob.path(), std::ios::in | std::ios::out | std::ios::binary)
          .seekp(600)
          .write("X", 1);
    }
  }
  const auto altered = tmp_.path() / "altered.tar";
  tar_directory(layout, altered);
  done = berth({"load", "-i", altered.string()});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("does not match its digest"), std::string::npos) << done.err;
  expect_clean_store();

  // A manifest naming a blob the archive lacks.
  std::filesystem::remove_all(layout);
  write_oci_layout(layout, {{file("a", "x")}}, "missing");
  for (const auto &blob : std::filesystem::directory_iterator(layout / "blobs" / "sha256")) {
    if (std::filesystem::file_size(blob.path()) > 1000) {
      std::filesystem::remove(blob.path());
    }
  }
  const auto missing = tmp_.path() / "missing.tar";
  tar_directory(layout, missing);
  done = berth({"load", "-i", missing.string()});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("which the archive lacks"), std::string::npos) << done.err;
  expect_clean_store();

  // Not an archive at all.
  done = berth({"load", "-i", tmp_.write("junk", "this is not a tar").string()});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("not a readable image archive"), std::string::npos) << done.err;
  expect_clean_store();
}

TEST_P(ImagesTest, BadReferencesAndMissingImagesAreOneLineErrors) {
  const auto tarball = tmp_.path() / "root.tar";
  write_tar(tarball, {file("a", "a")});
  auto done = berth({"import", tarball.string(), "Upper/Case"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_EQ(done.err, "invalid reference format: 'Upper/Case': repository name must be "
                      "lowercase (expected NAME[:TAG][@DIGEST], e.g. busybox:1.36)\n");
  done = berth({"rmi", "nothing:here"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_EQ(done.err, "no such image: nothing:here (see 'berth images')\n");
  // Without -i, load reads standard input: here /dev/null, no archive.
  done = berth({"load"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("standard input"), std::string::npos) << done.err;
  EXPECT_EQ(std::count(done.err.begin(), done.err.end(), '\n'), 1) << done.err;
}

TEST_P(ImagesTest, ImportReadsStandardInput) {
  const auto tarball = tmp_.path() / "root.tar.zst";
  write_tar(tmp_.path() / "root.tar", {file("from-stdin", "yes")});
  ASSERT_EQ(run_process({"/usr/bin/zstd", "-q", (tmp_.path() / "root.tar").string(), "-o",
                         tarball.string()})
                .exit_code,
            0);
  auto done = sandboxed("$BERTH import - piped:1 < " + tarball.string());
  ASSERT_EQ(done.exit_code, 0) << done.err;
  auto image = nlohmann::json::parse(berth({"image", "inspect", "piped:1"}).out).at(0);
  EXPECT_EQ(image["Layers"][0]["MediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(in_image("piped:1", "cat from-stdin"), "yes");
}

TEST_P(ImagesTest, UnknownMediaTypesAreRefused) {
  const auto layout = tmp_.path() / "layout";
  write_oci_layout(layout, {{file("a", "a")}}, "odd:1");
  // Re-label the layer in the manifest: the manifest is the blob that
  // index.json names, so rewrite it and point the index at the new digest.
  auto index = nlohmann::json::parse(read_file(layout / "index.json"));
  const auto old_digest = index["manifests"][0]["digest"].get<std::string>();
  const auto old_path = layout / "blobs" / "sha256" / old_digest.substr(7);
  auto manifest = nlohmann::json::parse(read_file(old_path));
  manifest["layers"][0]["mediaType"] = "application/vnd.example.squashfs";
  const auto text = manifest.dump();
  const auto digest = sha256_digest(text);
  std::ofstream(layout / "blobs" / "sha256" / digest.substr(7)) << text;
  std::filesystem::remove(old_path);
  index["manifests"][0]["digest"] = digest;
  index["manifests"][0]["size"] = text.size();
  std::ofstream(layout / "index.json") << index.dump();
  const auto archive = tmp_.path() / "odd.tar";
  tar_directory(layout, archive);
  auto done = berth({"load", "-i", archive.string()});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("unknown media type 'application/vnd.example.squashfs'"),
            std::string::npos)
      << done.err;
  EXPECT_TRUE(images().empty());
  expect_clean_store();
}

// A berth killed at any point of a load leaves the store so that the next
// change cleans it up: no temporary blob, snapshot or mount survives.
TEST_P(ImagesTest, TheNextCommandCleansUpAfterACrash) {
  std::vector<TarEntry> big;
  for (int i = 0; i < 200; ++i) {
    big.push_back(file("file-" + std::to_string(i), std::string(256 * 1024, 'x')));
  }
  const auto archive = tmp_.path() / "big.tar";
  write_oci_archive(archive, {big, {file("top", "t")}}, "big:1");
  for (const auto *delay : {"0.05", "0.2", "0.4"}) {
    auto killed = sandboxed("$BERTH load -i " + archive.string() + " & pid=$!; sleep " + delay +
                            "; kill -9 $pid 2>/dev/null || true; wait $pid || true");
    ASSERT_EQ(killed.exit_code, 0) << killed.err;
    auto pruned = berth({"image", "prune", "-a"});
    ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
    expect_clean_store();
  }
  auto loaded = berth({"load", "-i", archive.string()});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(in_image("big:1", "ls | wc -l"), "201\n");
}

INSTANTIATE_TEST_SUITE_P(Drivers, ImagesTest, ::testing::Values("overlay2", "vfs"));

} // namespace
} // namespace berth::testing
