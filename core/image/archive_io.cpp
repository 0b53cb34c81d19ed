#include "image/archive_io.hpp"

#include "image/digest.hpp"
#include "layer/layer_reader.hpp"
#include "plugin/host_services.hpp"
#include "util/fd.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>

#include <array>
#include <memory>

namespace berth {
namespace {

constexpr std::size_t kBlock = 1U << 17U;
constexpr std::int64_t kMaxIndexFile = 16 << 20;

struct ReadArchive {
  struct archive *a = archive_read_new();
  ~ReadArchive() { archive_read_free(a); }
  ReadArchive() = default;
  ReadArchive(const ReadArchive &) = delete;
  ReadArchive &operator=(const ReadArchive &) = delete;
  ReadArchive(ReadArchive &&) = delete;
  ReadArchive &operator=(ReadArchive &&) = delete;
};

struct WriteArchive {
  struct archive *a = archive_write_new();
  ~WriteArchive() { archive_write_free(a); }
  WriteArchive() = default;
  WriteArchive(const WriteArchive &) = delete;
  WriteArchive &operator=(const WriteArchive &) = delete;
  WriteArchive(WriteArchive &&) = delete;
  WriteArchive &operator=(WriteArchive &&) = delete;
};

sdk::Error corrupt(const std::string &name, const char *why) {
  return sdk::make_error(sdk::Errc::invalid_argument,
                         std::string("not a readable image archive (") +
                             (why != nullptr ? why : "unknown error") +
                             "); the file is corrupt or truncated",
                         name);
}

bool is_index_file(const std::string &path) {
  return path == "index.json" || path == "oci-layout" || path == "manifest.json" ||
         path == "repositories";
}

// The digest a path like blobs/sha256/<hex> promises, or "".
std::string promised_digest(const std::string &path) {
  constexpr std::string_view kBlobs = "blobs/sha256/";
  if (!path.starts_with(kBlobs)) {
    return {};
  }
  auto digest = "sha256:" + path.substr(kBlobs.size());
  return is_digest(digest) ? digest : std::string{};
}

} // namespace

sdk::Result<ArchiveContents>
read_image_archive(int fd, const std::string &name, const ContentStore &content,
                   const std::function<void(std::uint64_t)> &progress) {
  ReadArchive in;
  for (auto *enable : {archive_read_support_filter_gzip, archive_read_support_filter_zstd,
                       archive_read_support_filter_xz, archive_read_support_filter_bzip2}) {
    enable(in.a);
  }
  archive_read_support_format_tar(in.a);
  archive_read_support_format_gnutar(in.a);
  if (archive_read_open_fd(in.a, fd, kBlock) != ARCHIVE_OK) {
    return corrupt(name, archive_error_string(in.a));
  }
  ArchiveContents contents;
  std::map<std::string, std::string> links; // docker-archive may link duplicate layers
  std::array<char, kBlock> buffer{};
  for (;;) {
    if (cancellation_flag().load()) {
      return sdk::make_error(sdk::Errc::cancelled, "cancelled", name);
    }
    struct archive_entry *entry = nullptr;
    const int rc = archive_read_next_header(in.a, &entry);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return corrupt(name, archive_error_string(in.a));
    }
    const char *entry_name = archive_entry_pathname(entry);
    auto path = normalize_layer_path(entry_name != nullptr ? entry_name : "");
    if (!path.ok()) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             std::string("entry '") + (entry_name != nullptr ? entry_name : "") +
                                 "': " + path.error().message,
                             name);
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK || archive_entry_hardlink(entry) != nullptr) {
      const char *target = archive_entry_hardlink(entry) != nullptr ? archive_entry_hardlink(entry)
                                                                    : archive_entry_symlink(entry);
      if (target == nullptr) {
        continue; // a symlink without a target names no blob
      }
      auto base = std::filesystem::path(*path).parent_path();
      auto resolved = archive_entry_hardlink(entry) != nullptr
                          ? std::string(target)
                          : (base / target).lexically_normal().string();
      links[*path] = resolved;
      continue;
    }
    if (type != AE_IFREG) {
      continue;
    }
    if (is_index_file(*path)) {
      if (archive_entry_size(entry) > kMaxIndexFile) {
        return corrupt(name, (*path + " is implausibly large").c_str());
      }
      std::string text(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
      if (archive_read_data(in.a, text.data(), text.size()) !=
          static_cast<la_ssize_t>(text.size())) {
        return corrupt(name, archive_error_string(in.a));
      }
      contents.index_files[*path] = std::move(text);
      continue;
    }
    auto out = content.writer();
    if (!out.ok()) {
      return std::move(out).error();
    }
    for (;;) {
      const auto n = archive_read_data(in.a, buffer.data(), buffer.size());
      if (n < 0) {
        return corrupt(name, archive_error_string(in.a));
      }
      if (n == 0) {
        break;
      }
      if (auto written = (*out)->write(buffer.data(), static_cast<std::size_t>(n)); !written.ok()) {
        return std::move(written).error();
      }
      if (progress) {
        progress(static_cast<std::uint64_t>(archive_filter_bytes(in.a, -1)));
      }
    }
    const auto promised = promised_digest(*path);
    auto digest = (*out)->commit(promised);
    if (!digest.ok()) {
      return sdk::make_error(
          sdk::Errc::invalid_argument,
          "blob " + *path + " does not match its digest (" + digest.error().message + ")", name);
    }
    contents.blobs[*path] = *digest;
  }
  for (const auto &[path, target] : links) {
    if (auto found = contents.blobs.find(target); found != contents.blobs.end()) {
      contents.blobs[path] = found->second;
    }
  }
  return contents;
}

namespace {

sdk::Result<void> add_file(struct archive *out, const std::string &path, std::uint64_t size) {
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                             &archive_entry_free);
  archive_entry_set_pathname(entry.get(), path.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  if (archive_write_header(out, entry.get()) != ARCHIVE_OK) {
    return sdk::make_error(sdk::Errc::io, archive_error_string(out), path);
  }
  return {};
}

sdk::Result<void> add_text(struct archive *out, const std::string &path, const std::string &text) {
  if (auto added = add_file(out, path, text.size()); !added.ok()) {
    return added;
  }
  if (archive_write_data(out, text.data(), text.size()) != static_cast<la_ssize_t>(text.size())) {
    return sdk::make_error(sdk::Errc::io, archive_error_string(out), path);
  }
  return {};
}

} // namespace

namespace {

// Appends one blob of the content store as blobs/sha256/<hex>; done counts
// the bytes of all blobs so far, for progress.
sdk::Result<void> add_blob(struct archive *out, const std::string &name, const std::string &digest,
                           const ContentStore &content, std::uint64_t &done,
                           const std::function<void(std::uint64_t)> &progress) {
  const auto path = content.path_of(digest);
  UniqueFd blob(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  const auto size = content.size_of(digest);
  if (!blob.valid() || !size) {
    return sdk::make_error(sdk::Errc::not_found,
                           "blob is missing from the store; run 'berth image inspect' and "
                           "re-load the image",
                           digest);
  }
  if (auto added = add_file(out, "blobs/sha256/" + std::string(digest_hex(digest)), *size);
      !added.ok()) {
    return added;
  }
  std::array<char, kBlock> buffer{};
  for (;;) {
    if (cancellation_flag().load()) {
      return sdk::make_error(sdk::Errc::cancelled, "cancelled", name);
    }
    const auto n = ::read(blob.get(), buffer.data(), buffer.size());
    if (n < 0) {
      return sdk::errno_error("read", path.string());
    }
    if (n == 0) {
      return {};
    }
    if (archive_write_data(out, buffer.data(), static_cast<std::size_t>(n)) != n) {
      return sdk::make_error(sdk::Errc::io, archive_error_string(out), name);
    }
    done += static_cast<std::uint64_t>(n);
    if (progress) {
      progress(done);
    }
  }
}

} // namespace

sdk::Result<void> write_image_archive(int fd, const std::string &name,
                                      const std::vector<std::pair<std::string, std::string>> &files,
                                      const std::vector<std::string> &blobs,
                                      const ContentStore &content,
                                      const std::function<void(std::uint64_t)> &progress) {
  WriteArchive out;
  archive_write_set_format_pax_restricted(out.a);
  if (archive_write_open_fd(out.a, fd) != ARCHIVE_OK) {
    return sdk::make_error(sdk::Errc::io,
                           std::string("cannot create the archive: ") + archive_error_string(out.a),
                           name);
  }
  for (const auto &[path, text] : files) {
    if (auto added = add_text(out.a, path, text); !added.ok()) {
      return added;
    }
  }
  std::uint64_t done = 0;
  for (const auto &digest : blobs) {
    if (auto added = add_blob(out.a, name, digest, content, done, progress); !added.ok()) {
      return added;
    }
  }
  if (archive_write_close(out.a) != ARCHIVE_OK) {
    return sdk::make_error(sdk::Errc::io, archive_error_string(out.a), name);
  }
  return {};
}

} // namespace berth
