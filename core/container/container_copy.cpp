#include "container/container_copy.hpp"

#include "util/directory.hpp"
#include "util/fd.hpp"
#include "util/in_root.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <utility>

namespace berth {
namespace {

namespace fs = std::filesystem;

// Where paths are looked up. In a container every lookup goes through
// openat2(RESOLVE_IN_ROOT); on the host a path means what it means to the
// user, symlinks included.
class PathSpace {
public:
  static sdk::Result<PathSpace> container(const fs::path &root) {
    UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
      return sdk::errno_error("open", root.string());
    }
    return PathSpace(std::move(fd), "in the container");
  }
  static PathSpace host() { return {UniqueFd(), "on the host"}; }

  // -1 with errno on failure.
  [[nodiscard]] int open(const std::string &path, int flags) const {
    if (root_.valid()) {
      return open_in_root(root_.get(), path, flags);
    }
    return ::open(path.c_str(), flags | O_CLOEXEC);
  }
  [[nodiscard]] const std::string &where() const { return where_; }

private:
  PathSpace(UniqueFd root, std::string where) : root_(std::move(root)), where_(std::move(where)) {}

  UniqueFd root_;
  std::string where_;
};

// A path as the user wrote it, with Docker's meaning of its ending.
struct PathSpec {
  std::string given;           // for messages
  std::string path;            // without the trailing "/" and "/."
  bool trailing_slash = false; // must be a directory; a symlink there is followed
  bool contents = false;       // "/.": the directory's contents, not the directory
};

PathSpec parse_path(const std::string &given) {
  PathSpec spec{given, given};
  auto &path = spec.path;
  for (;;) {
    if (path.size() > 1 && path.back() == '/') {
      path.pop_back();
      spec.trailing_slash = true;
    } else if (path.ends_with("/.")) {
      path.pop_back();
      spec.contents = true;
    } else {
      return spec;
    }
  }
}

std::string parent_of(const std::string &path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string &path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::string &directory, const std::string &name) {
  return directory.ends_with('/') ? directory + name : directory + "/" + name;
}

// "/", "." and ".." have no entry of their own in a parent to copy from or
// to: they stand for a directory's contents.
bool names_directory_itself(const std::string &name) {
  return name.empty() || name == "." || name == "..";
}

// The source as an entry, name in dir, that the copy reads without following
// symlinks; name is "." when the path was opened as a directory.
struct Source {
  UniqueFd dir;
  std::string name;
  std::string basename; // what a copy into an existing directory is called
  std::string shown;
  bool is_directory = false;
  bool contents = false;
};

// Where the copy goes: the entry name in dir; or, with name empty, dir itself,
// which gets the source's contents.
struct Target {
  UniqueFd dir;
  std::string name;
  std::string shown;
};

sdk::Error source_error(const PathSpace &space, const PathSpec &spec, int err) {
  if (err == ENOENT) {
    return sdk::make_error(sdk::Errc::not_found,
                           "no such file or directory " + space.where() + "; check the path",
                           spec.given);
  }
  if (err == ENOTDIR) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "not a directory " + space.where() +
                               "; check the path, or drop a trailing '/' or '/.'",
                           spec.given);
  }
  return sdk::errno_error("open", spec.given, err);
}

sdk::Result<Source> resolve_source(const PathSpace &space, const PathSpec &spec) {
  const auto name = name_of(spec.path);
  if (spec.trailing_slash || spec.contents || names_directory_itself(name)) {
    UniqueFd dir(space.open(spec.path, O_RDONLY | O_DIRECTORY));
    if (!dir.valid()) {
      return source_error(space, spec, errno);
    }
    const bool contents = spec.contents || names_directory_itself(name);
    return Source{std::move(dir), ".", name, spec.path, true, contents};
  }
  UniqueFd parent(space.open(parent_of(spec.path), O_PATH | O_DIRECTORY));
  struct stat st {};
  if (!parent.valid() || ::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    return source_error(space, spec, errno);
  }
  return Source{std::move(parent), name, name, spec.path, S_ISDIR(st.st_mode), false};
}

sdk::Result<Target> entry_in_parent(const PathSpace &space, const PathSpec &spec) {
  UniqueFd parent(space.open(parent_of(spec.path), O_PATH | O_DIRECTORY));
  if (parent.valid()) {
    return Target{std::move(parent), name_of(spec.path), spec.path};
  }
  if (errno == ENOENT || errno == ENOTDIR) {
    return sdk::make_error(
        sdk::Errc::not_found,
        "the parent directory does not exist " + space.where() + "; create it first", spec.given);
  }
  return sdk::errno_error("open", spec.given);
}

sdk::Result<Target> into_existing(const PathSpace &space, const PathSpec &spec,
                                  const Source &source, UniqueFd existing) {
  struct stat st {};
  if (::fstat(existing.get(), &st) < 0) {
    return sdk::errno_error("stat", spec.given);
  }
  if (S_ISDIR(st.st_mode)) {
    if (source.contents) {
      return Target{std::move(existing), "", spec.path};
    }
    return Target{std::move(existing), source.basename, join(spec.path, source.basename)};
  }
  if (source.is_directory) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "cannot copy a directory onto a file " + space.where() +
                               "; name a directory or a new path",
                           spec.given);
  }
  if (spec.trailing_slash || spec.contents) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "not a directory " + space.where() + "; drop the trailing '/'",
                           spec.given);
  }
  // A symlink there is replaced, not written through.
  return entry_in_parent(space, spec);
}

// Docker's rules for where a copy lands; see the header.
sdk::Result<Target> resolve_target(const PathSpace &space, const PathSpec &spec,
                                   const Source &source) {
  UniqueFd existing(space.open(spec.path, O_PATH));
  if (existing.valid()) {
    return into_existing(space, spec, source, std::move(existing));
  }
  if (errno != ENOENT) {
    return source_error(space, spec, errno);
  }
  if ((spec.trailing_slash || spec.contents) && !source.is_directory) {
    return sdk::make_error(sdk::Errc::not_found,
                           "no such directory " + space.where() +
                               "; create it first or drop the trailing '/'",
                           spec.given);
  }
  return entry_in_parent(space, spec);
}

// An entry as a directory fd and a name in it.
struct Place {
  int dir;
  std::string name;
  std::string shown;
};

// Copies a tree entry by entry, relative to directory fds and never through
// a symlink: a link in the source is copied as a link, and one in the
// destination is replaced.
class TreeCopy {
public:
  sdk::Result<void> copy_entry(const Place &from, const Place &to) {
    struct stat st {};
    if (::fstatat(from.dir, from.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      return sdk::errno_error("stat", from.shown);
    }
    if (S_ISREG(st.st_mode)) {
      return copy_file(from, to);
    }
    if (S_ISDIR(st.st_mode)) {
      return copy_directory(from, to, st);
    }
    if (S_ISLNK(st.st_mode)) {
      return copy_symlink(from, to, st);
    }
    // Device nodes, fifos and sockets mean nothing on the other side, and a
    // container must not hand the host a device node.
    return {};
  }

  sdk::Result<void> copy_contents(int from, const std::string &from_shown, int to,
                                  const std::string &to_shown) {
    if (auto mark = remember_destination(to, to_shown); !mark.ok()) {
      return mark;
    }
    auto names = list_directory(from, from_shown);
    if (!names.ok()) {
      return std::move(names).error();
    }
    for (const auto &name : *names) {
      auto copied =
          copy_entry({from, name, join(from_shown, name)}, {to, name, join(to_shown, name)});
      if (!copied.ok()) {
        return copied;
      }
    }
    return {};
  }

private:
  sdk::Result<void> copy_file(const Place &from, const Place &to) {
    // O_NONBLOCK: should the entry have turned into a fifo since the stat,
    // the open must not hang.
    UniqueFd in(::openat(from.dir, from.name.c_str(),
                         O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    struct stat st {};
    if (!in.valid() || ::fstat(in.get(), &st) < 0) {
      return sdk::errno_error("open", from.shown);
    }
    if (!S_ISREG(st.st_mode)) {
      return {};
    }
    if (auto cleared = clear_for_file(to); !cleared.ok()) {
      return cleared;
    }
    UniqueFd out(::openat(to.dir, to.name.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.valid()) {
      return sdk::errno_error("create", to.shown);
    }
    if (auto copied = copy_bytes(in.get(), out.get(), to.shown); !copied.ok()) {
      return copied;
    }
    return apply_metadata(out.get(), st, to.shown);
  }

  sdk::Result<void> copy_directory(const Place &from, const Place &to, const struct stat &st) {
    if (destinations_.contains({st.st_dev, st.st_ino})) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "cannot copy a directory into itself; choose a destination outside it",
                             from.shown);
    }
    UniqueFd in(
        ::openat(from.dir, from.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!in.valid()) {
      return sdk::errno_error("open", from.shown);
    }
    auto out = open_or_make_directory(to);
    if (!out.ok()) {
      return std::move(out).error();
    }
    if (auto copied = copy_contents(in.get(), from.shown, out->get(), to.shown); !copied.ok()) {
      return copied;
    }
    // Last, since creating the entries moved the directory's mtime.
    return apply_metadata(out->get(), st, to.shown);
  }

  sdk::Result<void> copy_symlink(const Place &from, const Place &to, const struct stat &st) {
    auto target = read_link(from, st);
    if (!target.ok()) {
      return std::move(target).error();
    }
    if (auto cleared = clear_for_file(to); !cleared.ok()) {
      return cleared;
    }
    if (::symlinkat(target->c_str(), to.dir, to.name.c_str()) < 0) {
      return sdk::errno_error("symlink", to.shown);
    }
    if (as_root_ &&
        ::fchownat(to.dir, to.name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
      return sdk::errno_error("chown", to.shown);
    }
    const timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(to.dir, to.name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) {
      return sdk::errno_error("utimensat", to.shown);
    }
    return {};
  }

  static sdk::Result<std::string> read_link(const Place &from, const struct stat &st) {
    // st_size is the target's length, but may be 0 (procfs) or stale.
    std::string target(std::max<std::size_t>(static_cast<std::size_t>(st.st_size), 64) + 1, '\0');
    for (;;) {
      const auto n = ::readlinkat(from.dir, from.name.c_str(), target.data(), target.size());
      if (n < 0) {
        return sdk::errno_error("readlink", from.shown);
      }
      if (static_cast<std::size_t>(n) < target.size()) {
        target.resize(static_cast<std::size_t>(n));
        return target;
      }
      target.resize(target.size() * 2);
    }
  }

  static sdk::Result<void> copy_bytes(int in, int out, const std::string &shown) {
    constexpr std::size_t kChunk = std::size_t{1} << 30;
    for (bool first = true;; first = false) {
      const auto n = ::sendfile(out, in, nullptr, kChunk);
      if (n == 0) {
        return {};
      }
      // Some files (in procfs, say) cannot be spliced; they are read.
      if (n < 0 && first && (errno == EINVAL || errno == ENOSYS)) {
        return read_and_write(in, out, shown);
      }
      if (n < 0 && errno != EINTR) {
        return sdk::errno_error("sendfile", shown);
      }
    }
  }

  static sdk::Result<void> read_and_write(int in, int out, const std::string &shown) {
    char buffer[65536];
    for (;;) {
      const auto n = ::read(in, buffer, sizeof buffer);
      if (n == 0) {
        return {};
      }
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return sdk::errno_error("read", shown);
      }
      for (ssize_t done = 0; done < n;) {
        const auto written = ::write(out, buffer + done, static_cast<std::size_t>(n - done));
        if (written < 0 && errno != EINTR) {
          return sdk::errno_error("write", shown);
        }
        done += std::max<ssize_t>(written, 0);
      }
    }
  }

  // Makes room for a file or symlink: whatever non-directory is there goes
  // (a symlink included, which is thus never written through).
  static sdk::Result<void> clear_for_file(const Place &to) {
    struct stat st {};
    if (::fstatat(to.dir, to.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      return errno == ENOENT ? sdk::Result<void>() : sdk::errno_error("stat", to.shown);
    }
    if (S_ISDIR(st.st_mode)) {
      return sdk::make_error(sdk::Errc::already_exists,
                             "a directory is in the way of a file; remove it first", to.shown);
    }
    if (::unlinkat(to.dir, to.name.c_str(), 0) < 0) {
      return sdk::errno_error("unlink", to.shown);
    }
    return {};
  }

  static sdk::Result<UniqueFd> open_or_make_directory(const Place &to) {
    struct stat st {};
    if (::fstatat(to.dir, to.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return sdk::make_error(sdk::Errc::already_exists,
                               "a file is in the way of a directory; remove it first", to.shown);
      }
    } else if (errno != ENOENT) {
      return sdk::errno_error("stat", to.shown);
    } else if (::mkdirat(to.dir, to.name.c_str(), 0700) < 0) {
      // 0700 until the copy is complete and the source's mode is applied.
      return sdk::errno_error("mkdir", to.shown);
    }
    UniqueFd out(
        ::openat(to.dir, to.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!out.valid()) {
      return sdk::errno_error("open", to.shown);
    }
    return out;
  }

  sdk::Result<void> apply_metadata(int fd, const struct stat &st, const std::string &shown) const {
    // Owner before mode: chown clears the set-user-ID bits that chmod restores.
    if (as_root_ && ::fchown(fd, st.st_uid, st.st_gid) < 0) {
      return sdk::errno_error("chown", shown);
    }
    if (::fchmod(fd, st.st_mode & 07777) < 0) {
      return sdk::errno_error("chmod", shown);
    }
    const timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(fd, times) < 0) {
      return sdk::errno_error("futimens", shown);
    }
    return {};
  }

  // Directories the copy writes into, so that a source tree that contains
  // its own destination is not copied without end.
  sdk::Result<void> remember_destination(int dir, const std::string &shown) {
    struct stat st {};
    if (::fstat(dir, &st) < 0) {
      return sdk::errno_error("stat", shown);
    }
    destinations_.insert({st.st_dev, st.st_ino});
    return {};
  }

  // Without root, files cannot be given away: they end up the copier's own.
  bool as_root_ = ::geteuid() == 0;
  std::set<std::pair<dev_t, ino_t>> destinations_;
};

sdk::Result<void> copy_between(const PathSpace &from_space, const std::string &from,
                               const PathSpace &to_space, const std::string &to) {
  if (from.empty() || to.empty()) {
    return sdk::make_error(sdk::Errc::invalid_argument, "empty path; name a file or directory");
  }
  auto source = resolve_source(from_space, parse_path(from));
  if (!source.ok()) {
    return std::move(source).error();
  }
  auto target = resolve_target(to_space, parse_path(to), *source);
  if (!target.ok()) {
    return std::move(target).error();
  }
  TreeCopy copy;
  if (!target->name.empty()) {
    return copy.copy_entry({source->dir.get(), source->name, source->shown},
                           {target->dir.get(), target->name, target->shown});
  }
  // Contents into an existing directory, which keeps its own mode and owner.
  UniqueFd in(::openat(source->dir.get(), source->name.c_str(),
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!in.valid()) {
    return sdk::errno_error("open", source->shown);
  }
  return copy.copy_contents(in.get(), source->shown, target->dir.get(), target->shown);
}

} // namespace

sdk::Result<void> copy_out(const fs::path &root, const std::string &container_path,
                           const fs::path &host_destination) {
  auto container = PathSpace::container(root);
  if (!container.ok()) {
    return std::move(container).error();
  }
  return copy_between(*container, container_path, PathSpace::host(), host_destination.string());
}

sdk::Result<void> copy_in(const fs::path &host_source, const fs::path &root,
                          const std::string &container_path) {
  auto container = PathSpace::container(root);
  if (!container.ok()) {
    return std::move(container).error();
  }
  return copy_between(PathSpace::host(), host_source.string(), *container, container_path);
}

} // namespace berth
