// An exclusive flock on a file, held for the lifetime of the object: how
// several berth processes take turns changing the image and layer stores.
#pragma once

#include "util/fd.hpp"

#include <filesystem>

namespace berth {

class FileLock {
public:
  // Blocks until the lock is ours; throws std::system_error if the lock file
  // cannot be opened.
  explicit FileLock(const std::filesystem::path &path);

private:
  UniqueFd fd_;
};

} // namespace berth
