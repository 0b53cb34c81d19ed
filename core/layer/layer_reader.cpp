#include "layer/layer_reader.hpp"

#include "image/digest.hpp"
#include "layer/tree_writer.hpp"
#include "plugin/host_services.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <set>

namespace berth {
namespace {

constexpr std::size_t kBlock = 1U << 17U;
constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";
// Linux's PATH_MAX, with its NUL: no longer path can be made, and checking a
// path against the layer's symlinks takes time in the square of its length.
constexpr std::size_t kMaxPath = 4096;

} // namespace

// Two archives: the outer one only decompresses ("raw" format, every filter);
// the inner one parses tar from the outer one's output, so every
// uncompressed byte passes through read_callback and into the diff ID.
struct ArchiveLayerReader::Archives {
  struct archive *raw = archive_read_new();
  struct archive *tar = archive_read_new();
  Archives() = default;
  ~Archives() {
    archive_read_free(tar);
    archive_read_free(raw);
  }
  Archives(const Archives &) = delete;
  Archives &operator=(const Archives &) = delete;
  Archives(Archives &&) = delete;
  Archives &operator=(Archives &&) = delete;
};

sdk::Result<std::string> normalize_layer_path(std::string_view path) {
  if (path.size() >= kMaxPath) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "path longer than " + std::to_string(kMaxPath - 1) + " bytes");
  }
  if (path.starts_with('/')) {
    return sdk::make_error(sdk::Errc::invalid_argument, "absolute path in a layer");
  }
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto part = path.substr(start, end - start);
    if (part == "..") {
      return sdk::make_error(sdk::Errc::invalid_argument, "path climbs out of the root with '..'");
    }
    if (!part.empty() && part != ".") {
      if (!out.empty()) {
        out += '/';
      }
      out += part;
    }
    start = end + 1;
  }
  return out;
}

ArchiveLayerReader::ArchiveLayerReader(std::string name)
    : archives_(std::make_unique<Archives>()), name_(std::move(name)),
      hash_(std::make_unique<BackgroundSha256>(kBlock)) {}

ArchiveLayerReader::~ArchiveLayerReader() = default;

sdk::Result<std::unique_ptr<ArchiveLayerReader>>
ArchiveLayerReader::open(const std::filesystem::path &file, std::string name) {
  std::unique_ptr<ArchiveLayerReader> reader(new ArchiveLayerReader(std::move(name)));
  auto &a = *reader->archives_;
  // Only the compressions images use: libarchive runs external programs
  // for some others (lrzip, grzip), which has no place on untrusted input.
  for (auto *enable : {archive_read_support_filter_gzip, archive_read_support_filter_zstd,
                       archive_read_support_filter_xz, archive_read_support_filter_bzip2}) {
    enable(a.raw);
  }
  archive_read_support_format_raw(a.raw);
  archive_read_support_format_tar(a.tar);
  archive_read_support_format_gnutar(a.tar);
  if (archive_read_open_filename(a.raw, file.c_str(), kBlock) != ARCHIVE_OK) {
    return reader->failure(archive_error_string(a.raw));
  }
  struct archive_entry *ignored = nullptr;
  if (archive_read_next_header(a.raw, &ignored) != ARCHIVE_OK) {
    return reader->failure(archive_error_string(a.raw) != nullptr ? archive_error_string(a.raw)
                                                                  : "the file is empty");
  }
  if (archive_read_open(a.tar, reader.get(), nullptr, &ArchiveLayerReader::read_callback,
                        nullptr) != ARCHIVE_OK) {
    return reader->failure(archive_error_string(a.tar));
  }
  return reader;
}

long ArchiveLayerReader::read_callback(struct archive * /*tar*/, void *self, const void **buffer) {
  auto &reader = *static_cast<ArchiveLayerReader *>(self);
  char *data = reader.hash_->take();
  const auto n = archive_read_data(reader.archives_->raw, data, reader.hash_->buffer_size());
  if (n < 0) {
    const char *why = archive_error_string(reader.archives_->raw);
    reader.raw_error_ = why != nullptr ? why : "decompression failed";
    reader.hash_->submit(0);
    return ARCHIVE_FATAL;
  }
  reader.hash_->submit(static_cast<std::size_t>(n));
  reader.uncompressed_ += static_cast<std::uint64_t>(n);
  if (reader.progress_) {
    reader.progress_(reader.compressed_bytes());
  }
  *buffer = data;
  return static_cast<long>(n);
}

std::uint64_t ArchiveLayerReader::compressed_bytes() const noexcept {
  return static_cast<std::uint64_t>(archive_filter_bytes(archives_->raw, -1));
}

Compression ArchiveLayerReader::compression() const noexcept {
  switch (archive_filter_code(archives_->raw, 0)) {
  case ARCHIVE_FILTER_NONE: return Compression::none;
  case ARCHIVE_FILTER_GZIP: return Compression::gzip;
  case ARCHIVE_FILTER_ZSTD: return Compression::zstd;
  default: return Compression::other;
  }
}

sdk::Error ArchiveLayerReader::failure(const char *what) const {
  // libarchive leaves the error string null for some failures.
  const auto why =
      !raw_error_.empty() ? raw_error_ : std::string(what != nullptr ? what : "unknown error");
  return sdk::make_error(sdk::Errc::invalid_argument,
                         "not a valid layer tar (" + why +
                             "); the file is corrupt or truncated, re-create or re-download it",
                         name_);
}

sdk::Error ArchiveLayerReader::entry_error(const std::string &path, const std::string &what) const {
  // Enough of a path to find the entry; a whole one may be megabytes.
  constexpr std::size_t kShown = 200;
  std::string message = "entry '";
  message.append(path, 0, kShown);
  if (path.size() > kShown) {
    message += "...";
  }
  message += "': " + what + "; refusing the whole layer";
  return sdk::make_error(sdk::Errc::invalid_argument, std::move(message), name_);
}

sdk::Result<bool> ArchiveLayerReader::next(sdk::LayerEntry &entry) noexcept {
  try {
    while (!at_end_) {
      if (cancellation_flag().load()) {
        return sdk::make_error(sdk::Errc::cancelled, "cancelled", name_);
      }
      struct archive_entry *raw = nullptr;
      const int rc = archive_read_next_header(archives_->tar, &raw);
      if (rc == ARCHIVE_EOF) {
        at_end_ = true;
        break;
      }
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        return failure(archive_error_string(archives_->tar));
      }
      auto decoded = decode(raw, entry);
      if (!decoded.ok() || *decoded) {
        return decoded;
      }
    }
    return false;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), name_);
  }
}

// Drops path and everything below it from set: a later entry replaced it.
// Below "path/" sorts before "path0" ('0' follows '/').
static void forget_below(std::set<std::string> &set, const std::string &path) {
  const auto end = set.lower_bound(path + "0");
  for (auto it = set.lower_bound(path); it != end;) {
    it = (*it == path || it->starts_with(path + "/")) ? set.erase(it) : std::next(it);
  }
}

// The first prefix of path that is a symlink this layer made, or "".
static std::string symlink_prefix(const std::set<std::string> &symlinks, const std::string &path) {
  for (auto at = path.find('/'); at != std::string::npos; at = path.find('/', at + 1)) {
    if (symlinks.count(path.substr(0, at)) != 0) {
      return path.substr(0, at);
    }
  }
  return {};
}

// Fills entry from raw; false for entries a layer may carry but that change
// nothing (the root itself, sockets, aufs bookkeeping).
sdk::Result<bool> ArchiveLayerReader::decode(struct archive_entry *raw, sdk::LayerEntry &entry) {
  const char *raw_path = archive_entry_pathname(raw);
  const std::string original = raw_path != nullptr ? raw_path : "";
  auto path = normalize_layer_path(original);
  if (!path.ok()) {
    return entry_error(original, path.error().message);
  }
  if (path->empty()) {
    return false;
  }
  entry = sdk::LayerEntry{};
  const auto slash = path->rfind('/');
  const auto dir = slash == std::string::npos ? std::string() : path->substr(0, slash);
  const auto base = slash == std::string::npos ? *path : path->substr(slash + 1);
  if (const auto through = symlink_prefix(symlinks_, *path); !through.empty()) {
    return entry_error(original, "it is written through the symlink '" + through +
                                     "' that the same layer made");
  }
  if (base.starts_with(kWhiteout)) {
    if (base == kOpaque) {
      entry.type = sdk::EntryType::opaque;
      entry.path = dir;
      return true;
    }
    if (base.starts_with(".wh..wh.")) {
      return false;
    }
    const auto hidden = base.substr(kWhiteout.size());
    if (hidden.empty() || hidden == "." || hidden == "..") {
      return entry_error(original, "a whiteout must name a file");
    }
    entry.type = sdk::EntryType::whiteout;
    entry.path = dir.empty() ? hidden : dir + "/" + hidden;
    forget_below(files_, entry.path);
    forget_below(symlinks_, entry.path);
    return true;
  }
  entry.path = *path;
  entry.mode = static_cast<std::uint32_t>(archive_entry_perm(raw)) & 07777U;
  entry.uid = static_cast<std::uint32_t>(archive_entry_uid(raw));
  entry.gid = static_cast<std::uint32_t>(archive_entry_gid(raw));
  entry.mtime_sec = archive_entry_mtime(raw);
  entry.mtime_nsec = static_cast<std::uint32_t>(archive_entry_mtime_nsec(raw));
  // Whatever was at this path before is gone, with anything below it.
  forget_below(files_, entry.path);
  forget_below(symlinks_, entry.path);
  if (const char *target = archive_entry_hardlink(raw)) {
    auto link = normalize_layer_path(target);
    if (!link.ok()) {
      return entry_error(original,
                         "hard link to '" + std::string(target) + "' points outside the layer");
    }
    if (const auto through = symlink_prefix(symlinks_, *link); !through.empty()) {
      return entry_error(original, "hard link goes through the symlink '" + through + "'");
    }
    if (files_.count(*link) == 0) {
      return entry_error(original,
                         "hard link to '" + *link + "', which is not a file earlier in this layer");
    }
    entry.type = sdk::EntryType::hardlink;
    entry.link = *link;
    files_.insert(entry.path);
    return true;
  }
  switch (archive_entry_filetype(raw)) {
  case AE_IFREG:
    entry.type = sdk::EntryType::regular;
    entry.size = static_cast<std::uint64_t>(archive_entry_size(raw));
    files_.insert(entry.path);
    break;
  case AE_IFDIR: entry.type = sdk::EntryType::directory; break;
  case AE_IFLNK:
    entry.type = sdk::EntryType::symlink;
    entry.link = archive_entry_symlink(raw) != nullptr ? archive_entry_symlink(raw) : "";
    symlinks_.insert(entry.path);
    break;
  case AE_IFCHR:
    // 0/0 is overlay's whiteout: in a layer it would delete on one driver
    // and be a device on another.
    if (archive_entry_rdev(raw) == 0) {
      return entry_error(original, "a 0/0 character device is a whiteout in disguise");
    }
    entry.type = sdk::EntryType::char_device;
    break;
  case AE_IFBLK: entry.type = sdk::EntryType::block_device; break;
  case AE_IFIFO: entry.type = sdk::EntryType::fifo; break;
  default: return false;
  }
  entry.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(raw));
  entry.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(raw));
  archive_entry_xattr_reset(raw);
  const char *name = nullptr;
  const void *value = nullptr;
  std::size_t size = 0;
  while (archive_entry_xattr_next(raw, &name, &value, &size) == ARCHIVE_OK) {
    // overlay's own attributes are the driver's business, never a layer's.
    if (std::string_view(name).starts_with("trusted.overlay.")) {
      continue;
    }
    entry.xattrs.emplace_back(name, std::string(static_cast<const char *>(value), size));
  }
  return true;
}

sdk::Result<void> ArchiveLayerReader::copy_data(int fd) noexcept {
  const int rc = archive_read_data_into_fd(archives_->tar, fd);
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    return failure(archive_error_string(archives_->tar));
  }
  return {};
}

sdk::Result<void> ArchiveLayerReader::for_each_entry(
    const std::function<sdk::Result<void>(const sdk::LayerEntry &)> &visit) {
  sdk::LayerEntry entry;
  for (;;) {
    auto more = next(entry);
    if (!more.ok()) {
      return std::move(more).error();
    }
    if (!*more) {
      return {};
    }
    if (auto visited = visit(entry); !visited.ok()) {
      return visited;
    }
  }
}

sdk::Result<void> ArchiveLayerReader::extract_to(const std::filesystem::path &dir,
                                                 sdk::WhiteoutFormat format) noexcept {
  try {
    auto writer = TreeWriter::open(dir, format);
    if (!writer.ok()) {
      return std::move(writer).error();
    }
    auto written =
        for_each_entry([&](const sdk::LayerEntry &entry) { return writer->write(entry, *this); });
    return written.ok() ? writer->finish() : written;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), name_);
  }
}

sdk::Result<std::string> ArchiveLayerReader::finish() {
  // Entries nobody asked for still count towards the diff ID.
  if (auto skipped = for_each_entry([](const sdk::LayerEntry &) { return sdk::Result<void>{}; });
      !skipped.ok()) {
    return std::move(skipped).error();
  }
  // The tar end marker may be followed by padding that is part of the diff.
  for (;;) {
    char *data = hash_->take();
    const auto n = archive_read_data(archives_->raw, data, hash_->buffer_size());
    hash_->submit(n > 0 ? static_cast<std::size_t>(n) : 0);
    if (n < 0) {
      return failure(archive_error_string(archives_->raw));
    }
    if (n == 0) {
      break;
    }
    uncompressed_ += static_cast<std::uint64_t>(n);
  }
  return hash_->finish();
}

} // namespace berth
