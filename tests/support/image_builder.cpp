#include "support/image_builder.hpp"

#include "image/digest.hpp"
#include "support/subprocess.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace berth::testing {

TarEntry file(std::string path, std::string content, int mode) {
  return {std::move(path), TarEntry::Type::file, std::move(content), mode, 0, {}};
}
TarEntry dir(std::string path, int mode) {
  return {std::move(path), TarEntry::Type::dir, {}, mode, 0, {}};
}
TarEntry symlink(std::string path, std::string target) {
  return {std::move(path), TarEntry::Type::symlink, std::move(target), 0777, 0, {}};
}
TarEntry hardlink(std::string path, std::string target) {
  return {std::move(path), TarEntry::Type::hardlink, std::move(target), 0644, 0, {}};
}

void write_tar(const std::filesystem::path &file, const std::vector<TarEntry> &entries, bool gzip) {
  struct archive *out = archive_write_new();
  archive_write_set_format_pax_restricted(out);
  if (gzip) {
    archive_write_add_filter_gzip(out);
  }
  ASSERT_EQ(archive_write_open_filename(out, file.c_str()), ARCHIVE_OK);
  for (const auto &e : entries) {
    struct archive_entry *entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_perm(entry, static_cast<mode_t>(e.mode));
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_mtime(entry, 1700000000, 0);
    for (const auto &[key, value] : e.xattrs) {
      archive_entry_xattr_add_entry(entry, key.c_str(), value.data(), value.size());
    }
    switch (e.type) {
    case TarEntry::Type::file:
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
      break;
    case TarEntry::Type::dir: archive_entry_set_filetype(entry, AE_IFDIR); break;
    case TarEntry::Type::symlink:
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.content.c_str());
      break;
    case TarEntry::Type::hardlink:
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_hardlink(entry, e.content.c_str());
      break;
    case TarEntry::Type::fifo: archive_entry_set_filetype(entry, AE_IFIFO); break;
    }
    ASSERT_EQ(archive_write_header(out, entry), ARCHIVE_OK) << archive_error_string(out);
    if (e.type == TarEntry::Type::file && !e.content.empty()) {
      archive_write_data(out, e.content.data(), e.content.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(out);
  archive_write_free(out);
}

namespace {

std::string slurp(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string put_blob(const std::filesystem::path &dir, const std::string &data) {
  const auto digest = sha256_digest(data);
  std::ofstream(dir / "blobs" / "sha256" / std::string(digest_hex(digest)), std::ios::binary)
      << data;
  return digest;
}

} // namespace

std::string write_oci_layout(const std::filesystem::path &dir,
                             const std::vector<std::vector<TarEntry>> &layers,
                             const std::string &name, const std::string &config_json) {
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  auto descriptors = nlohmann::json::array();
  auto diff_ids = nlohmann::json::array();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto tar = dir / ("layer-" + std::to_string(i) + ".tar");
    write_tar(tar, layers[i]);
    const auto data = slurp(tar);
    std::filesystem::remove(tar);
    const auto digest = put_blob(dir, data);
    diff_ids.push_back(digest);
    descriptors.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                           {"digest", digest},
                           {"size", data.size()}});
  }
  const nlohmann::json config = {{"architecture", "amd64"},
                                 {"os", "linux"},
                                 {"created", "2026-01-01T00:00:00Z"},
                                 {"config", config_json.empty()
                                                ? nlohmann::json{{"Cmd", {"/bin/sh"}}}
                                                : nlohmann::json::parse(config_json)},
                                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  const auto config_text = config.dump();
  const auto config_digest = put_blob(dir, config_text);
  const nlohmann::json manifest = {{"schemaVersion", 2},
                                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                   {"config",
                                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                     {"digest", config_digest},
                                     {"size", config_text.size()}}},
                                   {"layers", descriptors}};
  const auto manifest_text = manifest.dump();
  nlohmann::json entry = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                          {"digest", put_blob(dir, manifest_text)},
                          {"size", manifest_text.size()}};
  if (!name.empty()) {
    entry["annotations"] = {{"org.opencontainers.image.ref.name", name}};
  }
  std::ofstream(dir / "index.json") << nlohmann::json{{"schemaVersion", 2}, {"manifests", {entry}}};
  std::ofstream(dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  return config_digest;
}

void tar_directory(const std::filesystem::path &dir, const std::filesystem::path &file) {
  const auto done = run_process({"/bin/tar", "-C", dir.string(), "-cf", file.string(), "."});
  ASSERT_EQ(done.exit_code, 0) << done.err;
}

std::string write_oci_archive(const std::filesystem::path &file,
                              const std::vector<std::vector<TarEntry>> &layers,
                              const std::string &name, const std::string &config_json) {
  const auto layout = file.parent_path() / (file.filename().string() + ".layout");
  auto id = write_oci_layout(layout, layers, name, config_json);
  tar_directory(layout, file);
  std::filesystem::remove_all(layout);
  return id;
}

} // namespace berth::testing
