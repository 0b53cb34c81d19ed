#include "common/file_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace berth::storage {
namespace {

class Fd {
public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  Fd(Fd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd &operator=(Fd &&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }

private:
  int fd_;
};

// Names in the directory open at fd, without "." and "..".
std::vector<std::string> list_names(int dir_fd) {
  std::vector<std::string> names;
  const int copy = ::dup(dir_fd);
  DIR *dir = copy >= 0 ? ::fdopendir(copy) : nullptr;
  if (dir == nullptr) {
    if (copy >= 0) {
      ::close(copy);
    }
    return names;
  }
  ::rewinddir(dir);
  while (const auto *entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") {
      names.push_back(name);
    }
  }
  ::closedir(dir);
  return names;
}

std::string proc_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

struct UsageWalk {
  std::set<std::pair<dev_t, ino_t>> seen;
  sdk::DiskUsage usage;

  void visit(int dir_fd) {
    for (const auto &name : list_names(dir_fd)) {
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        continue;
      }
      if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && !seen.emplace(st.st_dev, st.st_ino).second) {
        continue;
      }
      usage.bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
      usage.inodes += 1;
      if (S_ISDIR(st.st_mode)) {
        Fd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (child.valid()) {
          visit(child.get());
        }
      }
    }
  }
};

sdk::Result<void> remove_below(int dir_fd, const std::string &where) {
  for (const auto &name : list_names(dir_fd)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0) {
      continue;
    }
    auto path = where;
    path.append("/").append(name);
    if (errno != EISDIR && errno != EPERM) {
      return sdk::errno_error("unlink", path);
    }
    Fd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) {
      return sdk::errno_error("open", path);
    }
    if (auto done = remove_below(child.get(), path); !done.ok()) {
      return done;
    }
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) {
      return sdk::errno_error("rmdir", path);
    }
  }
  return {};
}

// Copies one tree, remembering hard-linked inodes so that they stay linked.
class TreeCopy {
public:
  TreeCopy(int root, std::string root_path) : root_(root), root_path_(std::move(root_path)) {}

  // rel: the directory's path below the root, "" for the root itself.
  sdk::Result<void> copy_dir(int from, int to, const std::string &rel) {
    for (const auto &name : list_names(from)) {
      auto child = rel;
      if (!child.empty()) {
        child += '/';
      }
      child += name;
      if (auto done = copy_entry(from, to, name, child); !done.ok()) {
        return done;
      }
    }
    return {};
  }

  static sdk::Result<void> copy_metadata(int from, int to, const std::string &name,
                                         const struct stat &st, const std::string &where) {
    const char *target = name.c_str();
    if (::fchownat(to, target, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return sdk::errno_error("chown", where);
    }
    if (!S_ISLNK(st.st_mode)) {
      if (::fchmodat(to, target, st.st_mode & 07777, 0) != 0) {
        return sdk::errno_error("chmod", where);
      }
      if (auto done = copy_xattrs(from, to, name, where); !done.ok()) {
        return done;
      }
    }
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(to, target, times, AT_SYMLINK_NOFOLLOW) != 0) {
      return sdk::errno_error("utimensat", where);
    }
    return {};
  }

private:
  static sdk::Result<void> copy_xattrs(int from, int to, const std::string &name,
                                       const std::string &where) {
    Fd source(::openat(from, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    Fd target(::openat(to, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!source.valid() || !target.valid()) {
      return sdk::errno_error("open", where);
    }
    const auto source_path = proc_path(source.get());
    const auto target_path = proc_path(target.get());
    // Sized first: security.capability and friends must not be dropped
    // because a fixed buffer was short.
    const auto wanted = ::listxattr(source_path.c_str(), nullptr, 0);
    if (wanted <= 0) {
      return {};
    }
    std::string names(static_cast<std::size_t>(wanted), '\0');
    const auto length = ::listxattr(source_path.c_str(), names.data(), names.size());
    if (length <= 0) {
      return {};
    }
    names.resize(static_cast<std::size_t>(length));
    for (std::size_t at = 0; at < names.size(); at = names.find('\0', at) + 1) {
      const char *key = names.c_str() + at;
      std::string value(65536, '\0');
      const auto size = ::getxattr(source_path.c_str(), key, value.data(), value.size());
      if (size < 0) {
        continue;
      }
      if (::setxattr(target_path.c_str(), key, value.data(), static_cast<std::size_t>(size), 0) !=
              0 &&
          errno != ENOTSUP && errno != EPERM) {
        return sdk::errno_error(std::string("setxattr ") + key, where);
      }
    }
    return {};
  }

  static sdk::Result<void> copy_data(int from, int to, const std::string &where) {
    if (::ioctl(to, FICLONE, from) == 0) {
      return {};
    }
    for (;;) {
      const auto copied = ::copy_file_range(from, nullptr, to, nullptr, 1U << 30U, 0);
      if (copied == 0) {
        return {};
      }
      if (copied < 0) {
        if (errno == EINTR) {
          continue;
        }
        return sdk::errno_error("copy_file_range", where);
      }
    }
  }

  sdk::Result<void> copy_entry(int from, int to, const std::string &name, const std::string &rel) {
    const auto where = root_path_ + "/" + rel;
    struct stat st {};
    if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return sdk::errno_error("stat", where);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, fresh] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!fresh) {
        if (::linkat(root_, it->second.c_str(), to, name.c_str(), 0) != 0) {
          return sdk::errno_error("link", where);
        }
        return {};
      }
    }
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to, name.c_str(), 0700) != 0) {
        return sdk::errno_error("mkdir", where);
      }
      Fd source(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      Fd target(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!source.valid() || !target.valid()) {
        return sdk::errno_error("open", where);
      }
      if (auto done = copy_dir(source.get(), target.get(), rel); !done.ok()) {
        return done;
      }
    } else if (S_ISREG(st.st_mode)) {
      Fd source(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      Fd target(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (!source.valid() || !target.valid()) {
        return sdk::errno_error("open", where);
      }
      if (auto done = copy_data(source.get(), target.get(), where); !done.ok()) {
        return done;
      }
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      const auto length = ::readlinkat(from, name.c_str(), target.data(), target.size());
      if (length < 0) {
        return sdk::errno_error("readlink", where);
      }
      target.resize(static_cast<std::size_t>(length));
      if (::symlinkat(target.c_str(), to, name.c_str()) != 0) {
        return sdk::errno_error("symlink", where);
      }
    } else if (::mknodat(to, name.c_str(), st.st_mode, st.st_rdev) != 0) {
      if (errno == EPERM) {
        return {}; // a device node this host forbids us to make
      }
      return sdk::errno_error("mknod", where);
    }
    return copy_metadata(from, to, name, st, where);
  }

  int root_; // the target root, which outlives the copy
  std::string root_path_;
  // (device, inode) of a hard-linked source file -> its first copy's path.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

} // namespace

sdk::Result<sdk::DiskUsage> disk_usage(const std::filesystem::path &dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return sdk::errno_error("open", dir.string());
  }
  UsageWalk walk;
  walk.visit(fd.get());
  return walk.usage;
}

sdk::Result<void> remove_tree(const std::filesystem::path &dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return {};
    }
    if (errno == ENOTDIR || errno == ELOOP) {
      return ::unlink(dir.c_str()) == 0
                 ? sdk::Result<void>{}
                 : sdk::Result<void>{sdk::errno_error("unlink", dir.string())};
    }
    return sdk::errno_error("open", dir.string());
  }
  if (auto done = remove_below(fd.get(), dir.string()); !done.ok()) {
    return done;
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return sdk::errno_error("rmdir", dir.string());
  }
  return {};
}

sdk::Result<void> copy_tree(const std::filesystem::path &from, const std::filesystem::path &to) {
  Fd source(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!source.valid()) {
    return sdk::errno_error("open", from.string());
  }
  if (::mkdir(to.c_str(), 0700) != 0) {
    return sdk::errno_error("mkdir", to.string());
  }
  Fd target(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!target.valid()) {
    return sdk::errno_error("open", to.string());
  }
  TreeCopy copy(target.get(), to.string());
  if (auto done = copy.copy_dir(source.get(), target.get(), ""); !done.ok()) {
    return done;
  }
  struct stat st {};
  if (::fstat(source.get(), &st) != 0) {
    return sdk::errno_error("stat", from.string());
  }
  // The root's own metadata, through its parent so one helper serves all.
  return TreeCopy::copy_metadata(source.get(), target.get(), ".", st, to.string());
}

sdk::Mount bind_mount(const std::filesystem::path &dir, bool read_only) {
  return {"bind", dir.string(), {"rbind", read_only ? "ro" : "rw"}};
}

} // namespace berth::storage
