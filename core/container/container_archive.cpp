#include "container/container_archive.hpp"

#include "container/container_copy.hpp"
#include "layer/layer_reader.hpp"
#include "util/fd.hpp"
#include "util/in_root.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <memory>

namespace berth {
namespace {

namespace fs = std::filesystem;

// A private directory for one copy, removed with everything in it.
class Scratch {
public:
  static sdk::Result<Scratch> make() {
    std::string pattern = (fs::temp_directory_path() / "berth-archive-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return sdk::errno_error("mkdtemp", pattern);
    }
    return Scratch(pattern);
  }
  ~Scratch() {
    if (!dir_.empty()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    }
  }
  Scratch(Scratch &&other) noexcept : dir_(std::exchange(other.dir_, {})) {}
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  Scratch &operator=(Scratch &&) = delete;
  [[nodiscard]] const fs::path &dir() const { return dir_; }

private:
  explicit Scratch(fs::path dir) : dir_(std::move(dir)) {}
  fs::path dir_;
};

std::string last_element(const std::string &path) {
  auto trimmed = fs::path(path).lexically_normal().string();
  while (trimmed.size() > 1 && trimmed.back() == '/') {
    trimmed.pop_back();
  }
  const auto name = fs::path(trimmed).filename().string();
  return name.empty() || name == "." ? "/" : name;
}

struct ArchiveCloser {
  void operator()(struct archive *archive) const { archive_write_free(archive); }
};
struct DiskCloser {
  void operator()(struct archive *archive) const { archive_read_free(archive); }
};
struct EntryCloser {
  void operator()(struct archive_entry *entry) const { archive_entry_free(entry); }
};

la_ssize_t write_to_sink(struct archive *, void *sink, const void *data, size_t size) {
  const auto &out = *static_cast<const TarSink *>(sink);
  return out({static_cast<const char *>(data), size}) ? static_cast<la_ssize_t>(size) : -1;
}

sdk::Error archive_failure(struct archive *archive, const std::string &what) {
  const char *message = archive_error_string(archive);
  return sdk::Error{sdk::Errc::io, what + ": " + (message != nullptr ? message : "failed"), ""};
}

// Copies a regular file's bytes into the tar.
sdk::Result<void> write_data(struct archive *tar, const char *source) {
  UniqueFd file(::open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!file.valid()) {
    return sdk::errno_error("open", source);
  }
  std::array<char, 65536> buffer{};
  ssize_t n = 0;
  while ((n = ::read(file.get(), buffer.data(), buffer.size())) > 0) {
    if (archive_write_data(tar, buffer.data(), static_cast<size_t>(n)) < 0) {
      return archive_failure(tar, "write");
    }
  }
  return n < 0 ? sdk::Result<void>(sdk::errno_error("read", source)) : sdk::Result<void>{};
}

// Writes the tree at source (a file or a directory) into tar, its top entry
// renamed to name.
sdk::Result<void> write_tree(struct archive *tar, const fs::path &source, const std::string &name) {
  std::unique_ptr<struct archive, DiskCloser> disk(archive_read_disk_new());
  archive_read_disk_set_symlink_physical(disk.get());
  archive_read_disk_set_standard_lookup(disk.get());
  if (archive_read_disk_open(disk.get(), source.c_str()) != ARCHIVE_OK) {
    return archive_failure(disk.get(), source.string());
  }
  const auto prefix = source.string();
  for (;;) {
    std::unique_ptr<struct archive_entry, EntryCloser> entry(archive_entry_new());
    const int status = archive_read_next_header2(disk.get(), entry.get());
    if (status == ARCHIVE_EOF) {
      return {};
    }
    if (status != ARCHIVE_OK) {
      return archive_failure(disk.get(), source.string());
    }
    archive_read_disk_descend(disk.get());
    const std::string on_disk = archive_entry_pathname(entry.get());
    archive_entry_set_pathname(entry.get(), (name + on_disk.substr(prefix.size())).c_str());
    if (archive_write_header(tar, entry.get()) != ARCHIVE_OK) {
      return archive_failure(tar, on_disk);
    }
    if (archive_entry_filetype(entry.get()) == AE_IFREG && archive_entry_size(entry.get()) > 0) {
      if (auto written = write_data(tar, on_disk.c_str()); !written.ok()) {
        return written;
      }
    }
  }
}

} // namespace

sdk::Result<PathStat> stat_in_root(const fs::path &root, const std::string &path) {
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) {
    return sdk::errno_error("open", root.string());
  }
  UniqueFd found(open_in_root(root_fd.get(), path, O_PATH | O_NOFOLLOW));
  if (!found.valid()) {
    return sdk::make_error(errno == ENOENT ? sdk::Errc::not_found : sdk::Errc::io,
                           "no such file or directory in the container", path);
  }
  struct stat st {};
  if (::fstat(found.get(), &st) != 0) {
    return sdk::errno_error("stat", path);
  }
  PathStat stat{last_element(path), static_cast<std::uint64_t>(st.st_size), st.st_mode,
                st.st_mtim.tv_sec, ""};
  if (S_ISLNK(st.st_mode)) {
    std::array<char, 4096> target{};
    const auto n = ::readlinkat(found.get(), "", target.data(), target.size() - 1);
    stat.link_target.assign(target.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  return stat;
}

sdk::Result<void> tar_from_root(const fs::path &root, const std::string &path,
                                const TarSink &sink) {
  auto scratch = Scratch::make();
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  const auto copy = scratch->dir() / "copy";
  if (auto copied = copy_out(root, path, copy); !copied.ok()) {
    return copied;
  }
  std::unique_ptr<struct archive, ArchiveCloser> tar(archive_write_new());
  archive_write_set_format_pax_restricted(tar.get());
  archive_write_set_bytes_in_last_block(tar.get(), 1);
  if (archive_write_open(tar.get(), const_cast<TarSink *>(&sink), nullptr, write_to_sink,
                         nullptr) != ARCHIVE_OK) {
    return archive_failure(tar.get(), "tar");
  }
  if (auto written = write_tree(tar.get(), copy, last_element(path)); !written.ok()) {
    return written;
  }
  return archive_write_close(tar.get()) == ARCHIVE_OK
             ? sdk::Result<void>{}
             : sdk::Result<void>(archive_failure(tar.get(), "tar"));
}

sdk::Result<void> untar_into_root(const fs::path &tar_file, const fs::path &root,
                                  const std::string &path) {
  auto scratch = Scratch::make();
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  auto reader = ArchiveLayerReader::open(tar_file, "the archive");
  if (!reader.ok()) {
    return std::move(reader).error();
  }
  if (auto extracted = (*reader)->extract_to(scratch->dir(), sdk::WhiteoutFormat::remove);
      !extracted.ok()) {
    return extracted;
  }
  auto destination = path;
  if (!destination.ends_with('/')) {
    destination += '/'; // Docker's PUT names the directory the entries go into
  }
  for (const auto &entry : fs::directory_iterator(scratch->dir())) {
    if (auto copied = copy_in(entry.path(), root, destination); !copied.ok()) {
      return copied;
    }
  }
  return {};
}

} // namespace berth
