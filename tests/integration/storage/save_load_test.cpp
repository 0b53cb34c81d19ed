// `berth save` and `berth load` as a user types them: the archive that is both
// an OCI layout and a docker-archive, several images and tags in one, the
// round trip into a fresh root through a file and through a pipe, and the
// refusals. Every berth process runs in a private mount namespace (unshare),
// so that mounts made by a test die with it.
#include "support/image_builder.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>

namespace berth::testing {
namespace {

class SaveLoadTest : public ::testing::Test {
protected:
  SaveLoadTest() {
    for (const auto *name : {"root", "fresh"}) {
      tmp_.write(std::string(name) + ".yaml",
                 "apiVersion: berth/v1\nkind: Stack\nroot: " + (tmp_.path() / name).string() +
                     "\nstorage:\n  driver: overlay2\n");
    }
  }

  [[nodiscard]] std::filesystem::path stack(const std::string &root) const {
    return tmp_.path() / (root + ".yaml");
  }

  Completed berth(std::vector<std::string> args, const std::string &root = "root") const {
    args.insert(args.begin(),
                {"/usr/bin/unshare", "--mount", "--propagation", "private", BERTH_EXECUTABLE});
    return run_process(args, {{"BERTH_STACK", stack(root).string()}});
  }

  // Runs script under sh in a private mount namespace; $BERTH is berth, $ROOT
  // and $FRESH are the stacks of the two roots.
  Completed shell(const std::string &script) const {
    return run_process(
        {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-ec", script},
        {{"BERTH_STACK", stack("root").string()},
         {"ROOT", stack("root").string()},
         {"FRESH", stack("fresh").string()},
         {"BERTH", BERTH_EXECUTABLE}});
  }

  // Imports a one-file image; returns its id.
  std::string import(const std::string &content, const std::string &reference = "") {
    const auto tarball = tmp_.path() / (content + ".tar.gz");
    write_tar(tarball, {dir("etc"), file("etc/motd", content + "\n")}, true);
    std::vector<std::string> args = {"import", tarball.string()};
    if (!reference.empty()) {
      args.push_back(reference);
    }
    auto done = berth(args);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return done.out.substr(0, done.out.find('\n'));
  }

  nlohmann::json inspect(const std::string &reference, const std::string &root = "root") const {
    auto done = berth({"image", "inspect", reference}, root);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return done.exit_code == 0 ? nlohmann::json::parse(done.out).at(0) : nlohmann::json();
  }

  std::string motd(const std::string &reference, const std::string &root = "root") const {
    auto done = shell("export BERTH_STACK=$" + std::string(root == "root" ? "ROOT" : "FRESH") +
                      "; p=$($BERTH image mount " + reference + "); cat \"$p/etc/motd\"");
    EXPECT_EQ(done.exit_code, 0) << done.err;
    return done.out;
  }

  // One file of an archive, parsed.
  nlohmann::json member(const std::filesystem::path &archive, const std::string &path) const {
    auto done = run_process({"/usr/bin/tar", "-xOf", archive.string(), path});
    EXPECT_EQ(done.exit_code, 0) << path << ": " << done.err;
    return nlohmann::json::parse(done.out, nullptr, false);
  }

  TempDir tmp_{"berth-save"};
};

TEST_F(SaveLoadTest, OneArchiveIsBothAnOciLayoutAndADockerArchive) {
  const auto app = import("app", "app:1");
  ASSERT_EQ(berth({"tag", "app:1", "registry.local:5000/team/app:2"}).exit_code, 0);
  const auto other = import("other", "other:1");
  const auto untagged = import("untagged");
  const auto archive = tmp_.path() / "all.tar";
  auto saved = berth({"save", "-o", archive.string(), "app:1", "registry.local:5000/team/app:2",
                      "other:1", untagged.substr(7, 12)});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;

  EXPECT_EQ(member(archive, "oci-layout"), nlohmann::json({{"imageLayoutVersion", "1.0.0"}}));
  const auto index = member(archive, "index.json")["manifests"];
  ASSERT_EQ(index.size(), 4U) << index;
  EXPECT_EQ(index[0]["annotations"]["io.containerd.image.name"], "docker.io/library/app:1");
  EXPECT_EQ(index[0]["annotations"]["org.opencontainers.image.ref.name"], "1");
  EXPECT_EQ(index[1]["annotations"]["io.containerd.image.name"], "registry.local:5000/team/app:2");
  EXPECT_EQ(index[0]["digest"], index[1]["digest"]);
  EXPECT_EQ(index[2]["annotations"]["io.containerd.image.name"], "docker.io/library/other:1");
  EXPECT_FALSE(index[3].contains("annotations"));

  const auto manifest = member(archive, "manifest.json");
  ASSERT_EQ(manifest.size(), 3U) << manifest;
  EXPECT_EQ(manifest[0]["RepoTags"], nlohmann::json({"app:1", "registry.local:5000/team/app:2"}));
  EXPECT_EQ(manifest[0]["Config"], "blobs/sha256/" + app.substr(7));
  EXPECT_EQ(manifest[1]["Config"], "blobs/sha256/" + other.substr(7));
  EXPECT_EQ(manifest[2]["RepoTags"], nlohmann::json::array());
  const auto layer = inspect("app:1")["Layers"][0]["Digest"].get<std::string>();
  EXPECT_EQ(manifest[0]["Layers"], nlohmann::json({"blobs/sha256/" + layer.substr(7)}));
  const auto repositories = member(archive, "repositories");
  EXPECT_EQ(repositories["app"]["1"], layer.substr(7));
  EXPECT_EQ(repositories["registry.local:5000/team/app"]["2"], layer.substr(7));
  EXPECT_FALSE(repositories.contains(untagged.substr(7)));

  auto loaded = berth({"load", "-i", archive.string()}, "fresh");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(loaded.out, "Loaded image: app:1\nLoaded image: registry.local:5000/team/app:2\n"
                        "Loaded image: other:1\nLoaded image: " +
                            untagged + "\n");
  EXPECT_EQ(inspect("registry.local:5000/team/app:2", "fresh")["Digest"],
            inspect("app:1")["Digest"]);
  EXPECT_EQ(inspect(untagged, "fresh")["Id"], untagged);
  EXPECT_EQ(motd("other:1", "fresh"), "other\n");
}

TEST_F(SaveLoadTest, SaveWritesStandardOutputAndLoadReadsStandardInput) {
  import("piped", "piped:1");
  auto done = shell("$BERTH save piped:1 | BERTH_STACK=$FRESH $BERTH load");
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(done.out, "Loaded image: piped:1\n");
  EXPECT_EQ(inspect("piped:1", "fresh")["Digest"], inspect("piped:1")["Digest"]);
  EXPECT_EQ(motd("piped:1", "fresh"), "piped\n");

  // A redirect is standard output too, and --format docker-archive the same archive.
  done = shell("$BERTH save --format docker-archive piped:1 > " +
               (tmp_.path() / "redirected.tar").string());
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(member(tmp_.path() / "redirected.tar", "manifest.json")[0]["RepoTags"][0], "piped:1");
}

TEST_F(SaveLoadTest, ATerminalIsRefusedBothWays) {
  import("tty", "tty:1");
  // script(1) gives the command a pseudo-terminal for stdin and stdout.
  auto save = shell("script -qec \"$BERTH save tty:1\" /dev/null");
  EXPECT_EQ(save.exit_code, 1);
  EXPECT_NE(save.out.find("cowardly refusing to save to a terminal. Use the -o flag or redirect"),
            std::string::npos)
      << save.out;
  auto load = shell("script -qec \"$BERTH load\" /dev/null");
  EXPECT_EQ(load.exit_code, 1);
  EXPECT_NE(load.out.find("requested load from stdin, but stdin is a terminal"), std::string::npos)
      << load.out;
}

TEST_F(SaveLoadTest, OnlyOciAndDockerArchiveFormats) {
  import("fmt", "fmt:1");
  auto done = berth({"save", "--format", "tar", "-o", (tmp_.path() / "x.tar").string(), "fmt:1"});
  EXPECT_EQ(done.exit_code, 2);
  EXPECT_EQ(done.err, "berth: --format: 'tar' is not a format berth writes (accepted: "
                      "oci-archive, docker-archive)\n");
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() / "x.tar"));
}

TEST_F(SaveLoadTest, AFailedSaveLeavesNoPartFileAndKeepsTheOldOne) {
  import("atomic", "atomic:1");
  const auto out = tmp_.path() / "out";
  std::filesystem::create_directory(out);
  const auto kept = tmp_.write("out/kept.tar", "an older archive");
  // The layer blob goes missing from the store: save fails after it has
  // written the index files, mid-archive.
  const auto layer = inspect("atomic:1")["Layers"][0]["Digest"].get<std::string>();
  std::filesystem::remove(tmp_.path() / "root" / "blobs" / "sha256" / layer.substr(7));
  auto done = berth({"save", "-o", kept.string(), "atomic:1"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("blob is missing from the store"), std::string::npos) << done.err;
  EXPECT_EQ(read_file(kept), "an older archive");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(out), {}), 1);

  done = berth({"save", "-o", (out / "missing" / "x.tar").string(), "atomic:1"});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_EQ(std::count(done.err.begin(), done.err.end(), '\n'), 1) << done.err;
}

} // namespace
} // namespace berth::testing
