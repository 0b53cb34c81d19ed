#include "util/mount_point.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

namespace berth {
namespace {

// mountinfo escapes spaces and other specials in paths as \ooo.
std::string unescape(const std::string &field) {
  std::string text;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      text += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      text += field[i];
    }
  }
  return text;
}

bool listed_in_mountinfo(const std::filesystem::path &path) {
  std::error_code ec;
  const auto wanted = std::filesystem::canonical(path, ec);
  if (ec) {
    return false;
  }
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id;
    std::string parent;
    std::string device;
    std::string root;
    std::string mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (unescape(mount_point) == wanted.string()) {
      return true;
    }
  }
  return false;
}

} // namespace

bool is_mount_point(const std::filesystem::path &path) {
  struct statx info {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &info) != 0) {
    return false;
  }
  if ((info.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0) {
    return (info.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  }
  return listed_in_mountinfo(path);
}

} // namespace berth
