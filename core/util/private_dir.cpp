#include "util/private_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>

namespace berth {
namespace {

constexpr mode_t kPermissionBits = 07777;

std::string octal(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode));
  return text.data();
}

// fchmod on the open fd, so a path swapped meanwhile is not what changes.
sdk::Result<std::optional<std::string>> narrow(int fd, const std::filesystem::path &path,
                                               mode_t mode) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return sdk::errno_error("stat", path.string());
  }
  const mode_t now = st.st_mode & kPermissionBits;
  if ((now & ~mode) == 0) {
    return std::optional<std::string>();
  }
  if (::fchmod(fd, now & mode) != 0) {
    return sdk::errno_error("chmod", path.string());
  }
  return std::optional<std::string>(octal(now) + " -> " + octal(now & mode));
}

} // namespace

sdk::Result<std::optional<std::string>> make_private_dir(const std::filesystem::path &dir,
                                                         mode_t mode) {
  std::error_code ec;
  if (dir.has_parent_path()) {
    std::filesystem::create_directories(dir.parent_path(), ec);
  }
  const bool made = ::mkdir(dir.c_str(), 0700) == 0;
  if (!made && errno != EEXIST) {
    return sdk::errno_error("mkdir", dir.string());
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return sdk::errno_error("open", dir.string());
  }
  // A new directory gets exactly mode; an old one only loses bits.
  auto narrowed = made
                      ? (::fchmod(fd, mode) == 0
                             ? sdk::Result<std::optional<std::string>>(std::optional<std::string>())
                             : sdk::errno_error("chmod", dir.string()))
                      : narrow(fd, dir, mode);
  ::close(fd);
  return narrowed;
}

// By path, never by opening and closing an fd: closing any fd on a file
// drops every POSIX lock this process holds on it, SQLite's included (a
// second connection in the process would then let another process rebuild
// the -shm under the first one's mapping: SIGBUS).
sdk::Result<void> make_private_database_file(const std::filesystem::path &file) {
  const int made = ::open(file.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (made >= 0) {
    ::close(made); // new: no connection can hold a lock on it yet
  } else if (errno != EEXIST) {
    return sdk::errno_error("create", file.string());
  }
  for (const char *suffix : {"", "-wal", "-shm"}) {
    const auto path = file.string() + suffix;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    const mode_t now = st.st_mode & kPermissionBits;
    if ((now & ~mode_t{0600}) != 0 && ::chmod(path.c_str(), now & 0600) != 0) {
      return sdk::errno_error("chmod", path);
    }
  }
  return {};
}

sdk::Result<void> write_file_atomically(const std::filesystem::path &file, std::string_view text,
                                        mode_t mode, bool sync) {
  auto temporary = file;
  temporary += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(::gettid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return sdk::errno_error("open", temporary.string());
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       (!sync || ::fsync(fd) == 0);
  const int saved = errno;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), file.c_str()) != 0) {
    const auto failed = written ? sdk::errno_error("rename", file.string())
                                : (errno = saved, sdk::errno_error("write", temporary.string()));
    ::unlink(temporary.c_str());
    return failed;
  }
  return {};
}

} // namespace berth
