#include "util/directory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace berth {

sdk::Result<std::vector<std::string>> list_directory(int dir_fd, const std::string &where) {
  // fdopendir takes over its descriptor, so it gets a fresh one.
  const int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = copy >= 0 ? ::fdopendir(copy) : nullptr;
  if (dir == nullptr) {
    auto error = sdk::errno_error("opendir", where);
    if (copy >= 0) {
      ::close(copy);
    }
    return error;
  }
  std::vector<std::string> names;
  errno = 0;
  while (const auto *entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") {
      names.push_back(std::move(name));
    }
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) {
    return sdk::errno_error("readdir", where, err);
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace berth
