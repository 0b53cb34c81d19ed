#include "layer/layer_writer.hpp"

#include "util/directory.hpp"
#include "util/fd.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <array>
#include <vector>

namespace berth {
namespace {

std::string proc_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

std::vector<std::pair<std::string, std::string>> read_xattrs(int fd) {
  std::vector<std::pair<std::string, std::string>> xattrs;
  const auto path = proc_path(fd);
  // Sized first: security.capability and friends must not be dropped
  // because a fixed buffer was short.
  const auto wanted = ::listxattr(path.c_str(), nullptr, 0);
  if (wanted <= 0) {
    return xattrs;
  }
  std::string names(static_cast<std::size_t>(wanted), '\0');
  const auto length = ::listxattr(path.c_str(), names.data(), names.size());
  if (length <= 0) {
    return xattrs;
  }
  names.resize(static_cast<std::size_t>(length));
  for (std::size_t at = 0; at < names.size(); at = names.find('\0', at) + 1) {
    const std::string key = names.c_str() + at;
    if (key.starts_with("trusted.overlay.")) {
      continue; // overlay's bookkeeping, never part of a layer
    }
    std::string value(65536, '\0');
    const auto size = ::getxattr(path.c_str(), key.c_str(), value.data(), value.size());
    if (size >= 0) {
      value.resize(static_cast<std::size_t>(size));
      xattrs.emplace_back(key, value);
    }
  }
  return xattrs;
}

bool is_opaque(int dir_fd, const std::string &name) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  char value = 0;
  return fd.valid() && ::fgetxattr(fd.get(), "trusted.overlay.opaque", &value, 1) == 1 &&
         value == 'y';
}

std::string child_path(const std::string &parent, const std::string &name) {
  return parent.empty() ? name : parent + "/" + name;
}

} // namespace

sdk::Result<sdk::LayerEntry> describe_file(int dir_fd, const std::string &name,
                                           const std::string &path, const struct stat &st) {
  sdk::LayerEntry entry;
  entry.path = path;
  entry.mode = st.st_mode & 07777;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  entry.mtime_sec = st.st_mtim.tv_sec;
  entry.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
  if (S_ISREG(st.st_mode)) {
    entry.type = sdk::EntryType::regular;
    entry.size = static_cast<std::uint64_t>(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    entry.type = sdk::EntryType::directory;
  } else if (S_ISLNK(st.st_mode)) {
    entry.type = sdk::EntryType::symlink;
    std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
    const auto length = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (length < 0) {
      return sdk::errno_error("readlink", path);
    }
    target.resize(static_cast<std::size_t>(length));
    entry.link = target;
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    entry.type = S_ISCHR(st.st_mode) ? sdk::EntryType::char_device : sdk::EntryType::block_device;
    entry.dev_major = ::major(st.st_rdev);
    entry.dev_minor = ::minor(st.st_rdev);
  } else if (S_ISFIFO(st.st_mode)) {
    entry.type = sdk::EntryType::fifo;
  } else {
    return sdk::make_error(sdk::Errc::unsupported, "sockets cannot be part of a layer", path);
  }
  if (!S_ISLNK(st.st_mode)) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (fd.valid()) {
      entry.xattrs = read_xattrs(fd.get());
    }
  }
  return entry;
}

TarLayerWriter::TarLayerWriter(std::unique_ptr<ContentStore::Writer> blob)
    : blob_(std::move(blob)), tar_(archive_write_new()) {}

TarLayerWriter::~TarLayerWriter() {
  archive_write_free(tar_);
}

sdk::Result<std::unique_ptr<TarLayerWriter>> TarLayerWriter::open(const ContentStore &content) {
  auto blob = content.writer();
  if (!blob.ok()) {
    return std::move(blob).error();
  }
  std::unique_ptr<TarLayerWriter> writer(new TarLayerWriter(std::move(blob).value()));
  archive_write_set_format_pax_restricted(writer->tar_);
  archive_write_set_bytes_in_last_block(writer->tar_, 1);
  if (archive_write_open(writer->tar_, writer.get(), nullptr, &TarLayerWriter::write_callback,
                         nullptr) != ARCHIVE_OK) {
    return sdk::make_error(sdk::Errc::io, archive_error_string(writer->tar_));
  }
  return writer;
}

long TarLayerWriter::write_callback(struct archive * /*tar*/, void *self, const void *data,
                                    std::size_t size) {
  auto &writer = *static_cast<TarLayerWriter *>(self);
  auto written = writer.blob_->write(data, size);
  if (!written.ok()) {
    writer.write_error_ = written.error().describe();
    return -1;
  }
  return static_cast<long>(size);
}

sdk::Result<void> TarLayerWriter::add(const sdk::LayerEntry &entry, int data_fd) noexcept {
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> raw(archive_entry_new(),
                                                                           &archive_entry_free);
  auto *e = raw.get();
  const auto slash = entry.path.rfind('/');
  const auto dir = slash == std::string::npos ? std::string() : entry.path.substr(0, slash + 1);
  const auto base = slash == std::string::npos ? entry.path : entry.path.substr(slash + 1);
  archive_entry_set_pathname(e, entry.path.c_str());
  archive_entry_set_perm(e, entry.mode);
  archive_entry_set_uid(e, entry.uid);
  archive_entry_set_gid(e, entry.gid);
  archive_entry_set_mtime(e, entry.mtime_sec, entry.mtime_nsec);
  for (const auto &[name, value] : entry.xattrs) {
    archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
  }
  switch (entry.type) {
  case sdk::EntryType::regular:
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, static_cast<la_int64_t>(entry.size));
    break;
  case sdk::EntryType::directory: archive_entry_set_filetype(e, AE_IFDIR); break;
  case sdk::EntryType::symlink:
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_set_symlink(e, entry.link.c_str());
    break;
  case sdk::EntryType::hardlink:
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_hardlink(e, entry.link.c_str());
    break;
  case sdk::EntryType::char_device:
  case sdk::EntryType::block_device:
    archive_entry_set_filetype(e, entry.type == sdk::EntryType::char_device ? AE_IFCHR : AE_IFBLK);
    archive_entry_set_rdevmajor(e, entry.dev_major);
    archive_entry_set_rdevminor(e, entry.dev_minor);
    break;
  case sdk::EntryType::fifo: archive_entry_set_filetype(e, AE_IFIFO); break;
  case sdk::EntryType::whiteout:
  case sdk::EntryType::opaque: {
    const auto name = entry.type == sdk::EntryType::opaque ? child_path(entry.path, ".wh..wh..opq")
                                                           : dir + ".wh." + base;
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0);
    archive_entry_set_size(e, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    break;
  }
  }
  if (archive_write_header(tar_, e) != ARCHIVE_OK) {
    return sdk::make_error(sdk::Errc::io,
                           write_error_.empty() ? archive_error_string(tar_) : write_error_,
                           entry.path);
  }
  if (entry.type != sdk::EntryType::regular || entry.size == 0) {
    return {};
  }
  std::array<char, 1U << 17U> buffer{};
  std::uint64_t left = entry.size;
  while (left > 0) {
    const auto n = ::read(data_fd, buffer.data(), std::min<std::uint64_t>(left, buffer.size()));
    if (n <= 0) {
      return n < 0 ? sdk::errno_error("read", entry.path)
                   : sdk::make_error(sdk::Errc::io, "file shrank while being read", entry.path);
    }
    if (archive_write_data(tar_, buffer.data(), static_cast<std::size_t>(n)) != n) {
      return sdk::make_error(sdk::Errc::io, archive_error_string(tar_), entry.path);
    }
    left -= static_cast<std::uint64_t>(n);
  }
  return {};
}

sdk::Result<void> TarLayerWriter::add_path(int dir_fd, const std::string &name,
                                           const std::string &path, const struct stat &st,
                                           sdk::WhiteoutFormat format) {
  if (format == sdk::WhiteoutFormat::overlay && S_ISCHR(st.st_mode) && st.st_rdev == 0) {
    sdk::LayerEntry whiteout;
    whiteout.path = path;
    whiteout.type = sdk::EntryType::whiteout;
    return add(whiteout, -1);
  }
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    auto [first, fresh] = links_.try_emplace({st.st_dev, st.st_ino}, path);
    if (!fresh) {
      sdk::LayerEntry link;
      link.path = path;
      link.type = sdk::EntryType::hardlink;
      link.link = first->second;
      return add(link, -1);
    }
  }
  auto entry = describe_file(dir_fd, name, path, st);
  if (!entry.ok()) {
    return std::move(entry).error();
  }
  UniqueFd data;
  if (entry->type == sdk::EntryType::regular) {
    data.reset(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!data.valid()) {
      return sdk::errno_error("open", path);
    }
  }
  if (auto added = add(*entry, data.get()); !added.ok()) {
    return added;
  }
  if (format == sdk::WhiteoutFormat::overlay && S_ISDIR(st.st_mode) && is_opaque(dir_fd, name)) {
    sdk::LayerEntry opaque;
    opaque.path = path;
    opaque.type = sdk::EntryType::opaque;
    return add(opaque, -1);
  }
  return {};
}

sdk::Result<void> TarLayerWriter::add_subtree(int dir_fd, const std::string &name,
                                              const std::string &path, sdk::WhiteoutFormat format) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return sdk::errno_error("stat", path);
  }
  if (auto added = add_path(dir_fd, name, path, st, format); !added.ok()) {
    return added;
  }
  if (!S_ISDIR(st.st_mode)) {
    return {};
  }
  UniqueFd dir(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) {
    return sdk::errno_error("open", path);
  }
  auto children = list_directory(dir.get(), path);
  if (!children.ok()) {
    return std::move(children).error();
  }
  for (const auto &child : *children) {
    if (auto added = add_subtree(dir.get(), child, child_path(path, child), format); !added.ok()) {
      return added;
    }
  }
  return {};
}

sdk::Result<void> TarLayerWriter::add_tree(const std::filesystem::path &dir,
                                           sdk::WhiteoutFormat format) noexcept {
  try {
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) {
      return sdk::errno_error("open", dir.string());
    }
    auto children = list_directory(root.get(), dir.string());
    if (!children.ok()) {
      return std::move(children).error();
    }
    for (const auto &child : *children) {
      if (auto added = add_subtree(root.get(), child, child, format); !added.ok()) {
        return added;
      }
    }
    return {};
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), dir.string());
  }
}

sdk::Result<std::string> TarLayerWriter::finish() {
  if (archive_write_close(tar_) != ARCHIVE_OK) {
    return sdk::make_error(sdk::Errc::io,
                           write_error_.empty() ? archive_error_string(tar_) : write_error_);
  }
  return blob_->commit();
}

namespace {

bool same_file(const struct stat &a, const struct stat &b) {
  return (a.st_mode & S_IFMT) == (b.st_mode & S_IFMT) && a.st_mode == b.st_mode &&
         a.st_uid == b.st_uid && a.st_gid == b.st_gid && a.st_size == b.st_size &&
         a.st_rdev == b.st_rdev && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

sdk::Result<void> diff_dirs(int lower, int upper, const std::string &path, TarLayerWriter &out) {
  auto lower_list = list_directory(lower, "lower/" + path);
  auto upper_list = list_directory(upper, "upper/" + path);
  if (!lower_list.ok() || !upper_list.ok()) {
    return !lower_list.ok() ? std::move(lower_list).error() : std::move(upper_list).error();
  }
  const auto &lower_names = *lower_list;
  const auto &upper_names = *upper_list;
  for (const auto &name : lower_names) {
    if (!std::binary_search(upper_names.begin(), upper_names.end(), name)) {
      sdk::LayerEntry whiteout;
      whiteout.path = child_path(path, name);
      whiteout.type = sdk::EntryType::whiteout;
      if (auto added = out.add(whiteout, -1); !added.ok()) {
        return added;
      }
    }
  }
  for (const auto &name : upper_names) {
    const auto child = child_path(path, name);
    struct stat now {};
    struct stat before {};
    if (::fstatat(upper, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0) {
      return sdk::errno_error("stat", child);
    }
    const bool existed = ::fstatat(lower, name.c_str(), &before, AT_SYMLINK_NOFOLLOW) == 0;
    if (!existed || !S_ISDIR(now.st_mode) || !S_ISDIR(before.st_mode)) {
      if (existed && same_file(now, before) && !S_ISDIR(now.st_mode)) {
        continue;
      }
      // New, or replaced by something else: the whole of it.
      if (auto added = out.add_subtree(upper, name, child, sdk::WhiteoutFormat::remove);
          !added.ok()) {
        return added;
      }
      continue;
    }
    if (!same_file(now, before)) {
      auto entry = describe_file(upper, name, child, now);
      if (!entry.ok()) {
        return std::move(entry).error();
      }
      if (auto added = out.add(*entry, -1); !added.ok()) {
        return added;
      }
    }
    UniqueFd lower_child(::openat(lower, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    UniqueFd upper_child(::openat(upper, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lower_child.valid() || !upper_child.valid()) {
      return sdk::errno_error("open", child);
    }
    if (auto done = diff_dirs(lower_child.get(), upper_child.get(), child, out); !done.ok()) {
      return done;
    }
  }
  return {};
}

} // namespace

sdk::Result<void> diff_trees(const std::filesystem::path &lower, const std::filesystem::path &upper,
                             TarLayerWriter &out) {
  UniqueFd lower_fd(::open(lower.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd upper_fd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lower_fd.valid() || !upper_fd.valid()) {
    return sdk::errno_error("open", lower_fd.valid() ? upper.string() : lower.string());
  }
  return diff_dirs(lower_fd.get(), upper_fd.get(), "", out);
}

} // namespace berth
