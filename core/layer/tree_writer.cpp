#include "layer/tree_writer.hpp"

#include "util/directory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>

namespace berth {
namespace {

int openat2_in_root(int root, const std::string &path, std::uint64_t flags) {
  struct open_how how {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how));
}

std::pair<std::string, std::string> split(const std::string &path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return {"", path};
  }
  return {path.substr(0, slash), path.substr(slash + 1)};
}

sdk::Result<void> set_xattrs(int fd, const sdk::LayerEntry &entry, const std::string &where) {
  for (const auto &[name, value] : entry.xattrs) {
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0 && errno != ENOTSUP) {
      return sdk::errno_error("setxattr " + name, where);
    }
  }
  return {};
}

} // namespace

sdk::Result<void> remove_at(int parent, const std::string &name, const std::string &where) {
  if (::unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) {
    return {};
  }
  if (errno != EISDIR && errno != EPERM) {
    return sdk::errno_error("unlink", where);
  }
  UniqueFd dir(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) {
    return sdk::errno_error("open", where);
  }
  auto children = list_directory(dir.get(), where);
  if (!children.ok()) {
    return std::move(children).error();
  }
  for (const auto &child : *children) {
    auto path = where;
    path.append("/").append(child);
    if (auto done = remove_at(dir.get(), child, path); !done.ok()) {
      return done;
    }
  }
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) {
    return sdk::errno_error("rmdir", where);
  }
  return {};
}

TreeWriter::TreeWriter(UniqueFd root, std::string root_path, sdk::WhiteoutFormat format)
    : root_(std::move(root)), root_path_(std::move(root_path)), format_(format) {}

sdk::Result<TreeWriter> TreeWriter::open(const std::filesystem::path &root,
                                         sdk::WhiteoutFormat format) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return sdk::errno_error("open", root.string());
  }
  return TreeWriter(std::move(fd), root.string(), format);
}

sdk::Result<UniqueFd> TreeWriter::open_dir(const std::string &path, bool create) {
  if (path.empty()) {
    return UniqueFd(::dup(root_.get()));
  }
  UniqueFd fd(openat2_in_root(root_.get(), path, O_RDONLY | O_DIRECTORY));
  if (fd.valid() || errno != ENOENT || !create) {
    if (!fd.valid()) {
      return sdk::errno_error("open", where(path));
    }
    return fd;
  }
  // Directories a layer uses without listing them: made one by one.
  auto [parent_path, name] = split(path);
  auto parent = open_dir(parent_path, true);
  if (!parent.ok()) {
    return std::move(parent).error();
  }
  const bool over_whiteout = whiteouts_.count(path) != 0;
  if (over_whiteout) {
    ::unlinkat(parent->get(), name.c_str(), 0);
  }
  if (::mkdirat(parent->get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
    return sdk::errno_error("mkdir", where(path));
  }
  fd.reset(openat2_in_root(root_.get(), path, O_RDONLY | O_DIRECTORY));
  if (!fd.valid()) {
    return sdk::errno_error("open", where(path));
  }
  if (over_whiteout) {
    if (auto hidden = hide_lower(fd.get(), path); !hidden.ok()) {
      return std::move(hidden).error();
    }
  }
  return fd;
}

sdk::Result<int> TreeWriter::parent_of(const std::string &path) {
  const auto parent = split(path).first;
  if (!cached_fd_.valid() || parent != cached_parent_) {
    auto fd = open_dir(parent, true);
    if (!fd.ok()) {
      return std::move(fd).error();
    }
    cached_fd_ = std::move(fd).value();
    cached_parent_ = parent;
  }
  return cached_fd_.get();
}

sdk::Result<void> TreeWriter::clear(int parent, const std::string &name, bool keep_dir) {
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return {};
  }
  if (keep_dir && S_ISDIR(st.st_mode)) {
    return {};
  }
  return remove_at(parent, name, where(name));
}

sdk::Result<void> TreeWriter::write(const sdk::LayerEntry &entry, sdk::LayerReader &data) {
  if (entry.type == sdk::EntryType::whiteout) {
    return whiteout(entry);
  }
  if (entry.type == sdk::EntryType::opaque) {
    return opaque(entry);
  }
  auto parent = parent_of(entry.path);
  if (!parent.ok()) {
    return std::move(parent).error();
  }
  const auto name = split(entry.path).second;
  if (auto cleared = clear(*parent, name, entry.type == sdk::EntryType::directory); !cleared.ok()) {
    return cleared;
  }
  created_.insert(entry.path);
  return create(*parent, name, entry, data);
}

sdk::Result<void> TreeWriter::create(int parent, const std::string &name,
                                     const sdk::LayerEntry &entry, sdk::LayerReader &data) {
  const auto path = where(entry.path);
  switch (entry.type) {
  case sdk::EntryType::directory: {
    if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST) {
      return sdk::errno_error("mkdir", path);
    }
    directories_.push_back(entry);
    if (whiteouts_.count(entry.path) == 0) {
      return {};
    }
    UniqueFd dir(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) {
      return sdk::errno_error("open", path);
    }
    return hide_lower(dir.get(), entry.path);
  }
  case sdk::EntryType::regular: {
    UniqueFd fd(
        ::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      return sdk::errno_error("create", path);
    }
    if (auto copied = data.copy_data(fd.get()); !copied.ok()) {
      return copied;
    }
    return set_metadata(parent, name, entry, fd.get());
  }
  case sdk::EntryType::symlink:
    if (::symlinkat(entry.link.c_str(), parent, name.c_str()) != 0) {
      return sdk::errno_error("symlink", path);
    }
    return set_metadata(parent, name, entry, -1);
  case sdk::EntryType::hardlink: {
    UniqueFd target(openat2_in_root(root_.get(), entry.link, O_PATH | O_NOFOLLOW));
    if (!target.valid() || ::linkat(target.get(), "", parent, name.c_str(), AT_EMPTY_PATH) != 0) {
      return sdk::errno_error("link to " + entry.link, path);
    }
    return {};
  }
  case sdk::EntryType::char_device:
  case sdk::EntryType::block_device:
  case sdk::EntryType::fifo: {
    const mode_t type = entry.type == sdk::EntryType::fifo          ? S_IFIFO
                        : entry.type == sdk::EntryType::char_device ? S_IFCHR
                                                                    : S_IFBLK;
    if (::mknodat(parent, name.c_str(), type | (entry.mode & 07777),
                  ::makedev(entry.dev_major, entry.dev_minor)) != 0) {
      if (errno == EPERM) {
        return {}; // device nodes this host does not let us make
      }
      return sdk::errno_error("mknod", path);
    }
    return set_metadata(parent, name, entry, -1);
  }
  case sdk::EntryType::whiteout:
  case sdk::EntryType::opaque: break;
  }
  return {};
}

sdk::Result<void> TreeWriter::set_metadata(int parent, const std::string &name,
                                           const sdk::LayerEntry &entry, int fd) {
  const auto path = where(entry.path);
  const struct timespec times[2] = {{entry.mtime_sec, static_cast<long>(entry.mtime_nsec)},
                                    {entry.mtime_sec, static_cast<long>(entry.mtime_nsec)}};
  if (fd < 0) {
    if (::fchownat(parent, name.c_str(), entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return sdk::errno_error("chown", path);
    }
    if (entry.type != sdk::EntryType::symlink &&
        ::fchmodat(parent, name.c_str(), entry.mode & 07777, 0) != 0) {
      return sdk::errno_error("chmod", path);
    }
    if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return sdk::errno_error("utimensat", path);
    }
    return {};
  }
  // Owner before mode: chown clears the setuid and setgid bits.
  if (::fchown(fd, entry.uid, entry.gid) != 0) {
    return sdk::errno_error("chown", path);
  }
  if (::fchmod(fd, entry.mode & 07777) != 0) {
    return sdk::errno_error("chmod", path);
  }
  if (auto done = set_xattrs(fd, entry, path); !done.ok()) {
    return done;
  }
  if (::futimens(fd, times) != 0) {
    return sdk::errno_error("utimensat", path);
  }
  return {};
}

// OCI: a whiteout hides only what lower layers had, never an entry of its own
// layer.
sdk::Result<void> TreeWriter::whiteout(const sdk::LayerEntry &entry) {
  if (created_.count(entry.path) != 0) {
    return {};
  }
  auto parent = parent_of(entry.path);
  if (!parent.ok()) {
    return std::move(parent).error();
  }
  const auto name = split(entry.path).second;
  if (auto cleared = clear(*parent, name, false); !cleared.ok()) {
    return cleared;
  }
  if (format_ == sdk::WhiteoutFormat::remove) {
    return {};
  }
  if (::mknodat(*parent, name.c_str(), S_IFCHR, ::makedev(0, 0)) != 0) {
    return sdk::errno_error("mknod (whiteout)", where(entry.path));
  }
  whiteouts_.insert(entry.path);
  return {};
}

sdk::Result<void> TreeWriter::hide_lower(int dir_fd, const std::string &path) {
  whiteouts_.erase(path);
  if (::fsetxattr(dir_fd, "trusted.overlay.opaque", "y", 1, 0) != 0) {
    return sdk::errno_error("setxattr trusted.overlay.opaque", where(path));
  }
  return {};
}

sdk::Result<void> TreeWriter::opaque(const sdk::LayerEntry &entry) {
  auto dir = open_dir(entry.path, true);
  if (!dir.ok()) {
    return std::move(dir).error();
  }
  if (format_ == sdk::WhiteoutFormat::overlay) {
    if (::fsetxattr(dir->get(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return sdk::errno_error("setxattr trusted.overlay.opaque", where(entry.path));
    }
    return {};
  }
  // The cached directory may be one of those about to go.
  cached_fd_.reset();
  const auto prefix = entry.path.empty() ? std::string() : entry.path + "/";
  auto names = list_directory(dir->get(), where(entry.path));
  if (!names.ok()) {
    return std::move(names).error();
  }
  for (const auto &name : *names) {
    if (created_.count(prefix + name) == 0) {
      if (auto removed = remove_at(dir->get(), name, where(prefix + name)); !removed.ok()) {
        return removed;
      }
    }
  }
  return {};
}

sdk::Result<void> TreeWriter::finish() {
  cached_fd_.reset();
  // Deepest last-written first, so that a parent's mtime is set after its
  // children's metadata touched it.
  std::reverse(directories_.begin(), directories_.end());
  for (const auto &directory : directories_) {
    UniqueFd fd(openat2_in_root(root_.get(), directory.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (!fd.valid()) {
      continue; // replaced by a later entry
    }
    if (auto done = set_metadata(fd.get(), ".", directory, fd.get()); !done.ok()) {
      return done;
    }
  }
  directories_.clear();
  return {};
}

} // namespace berth
