#include "util/in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <sstream>

namespace berth {

int open_in_root(int root, const std::string &path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags) | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const auto first = path.find_first_not_of('/');
  const auto relative = first == std::string::npos ? std::string(".") : path.substr(first);
  return static_cast<int>(::syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how));
}

sdk::Result<void> make_directories_in_root(const std::filesystem::path &root,
                                           const std::string &path) {
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root_fd.get() < 0) {
    return sdk::errno_error("open", root.string());
  }
  std::string prefix = "/";
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == ".") {
      continue;
    }
    UniqueFd parent(open_in_root(root_fd.get(), prefix, O_PATH | O_DIRECTORY));
    if (parent.get() < 0) {
      return sdk::errno_error("open", root.string() + prefix);
    }
    if (::mkdirat(parent.get(), part.c_str(), 0755) < 0 && errno != EEXIST) {
      return sdk::errno_error("mkdir", (root / prefix.substr(1) / part).string());
    }
    prefix += part + "/";
  }
  return {};
}

std::optional<std::string> read_file_in_root(const std::filesystem::path &root,
                                             const std::string &path) {
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root_fd.get() < 0) {
    return std::nullopt;
  }
  // O_NONBLOCK and the type check: an image's /etc/passwd may be a FIFO or
  // a device node, which must neither block nor be read on the host.
  UniqueFd file(open_in_root(root_fd.get(), path, O_RDONLY | O_NONBLOCK));
  struct stat info {};
  if (file.get() < 0 || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return std::nullopt;
  }
  return read_whole_lines(file.get());
}

std::string read_whole_lines(int fd, std::size_t limit) {
  std::string text;
  std::array<char, 8192> buffer{};
  ssize_t n = 0;
  while (text.size() <= limit && (n = ::read(fd, buffer.data(), buffer.size())) > 0) {
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  if (text.size() > limit) {
    const auto last_newline = limit == 0 ? std::string::npos : text.rfind('\n', limit - 1);
    text.resize(last_newline == std::string::npos ? 0 : last_newline + 1);
  }
  return text;
}

} // namespace berth
