#include "util/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <system_error>

namespace berth {

FileLock::FileLock(const std::filesystem::path &path)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
  if (!fd_.valid()) {
    throw std::system_error(errno, std::generic_category(), "cannot open lock " + path.string());
  }
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "cannot lock " + path.string());
    }
  }
}

} // namespace berth
