// How berth performs the mounts a storage driver describes. Header-only so
// that a driver's own tests (and the conformance kit) mount exactly as berth
// does. Needs CAP_SYS_ADMIN.
#pragma once

#include <berth/sdk/storage.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace berth::sdk::inline v1 {
namespace detail {

inline std::string join_options(const std::vector<std::string> &options) {
  std::string out;
  for (const auto &option : options) {
    out += (out.empty() ? "" : ",") + option;
  }
  return out;
}

// The mount(2) flag an option stands for ("ro", "nosuid", ...), or 0 for an
// option the file system itself reads.
inline unsigned long flag_of(const std::string &option) {
  if (option == "ro") {
    return MS_RDONLY;
  }
  if (option == "nosuid") {
    return MS_NOSUID;
  }
  if (option == "nodev") {
    return MS_NODEV;
  }
  return option == "noexec" ? MS_NOEXEC : 0;
}

inline Result<void> mount_bind(const Mount &spec, const std::filesystem::path &target) {
  unsigned long flags = 0;
  for (const auto &option : spec.options) {
    flags |= flag_of(option);
  }
  if (::mount(spec.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return errno_error("mount --bind " + spec.source, target.string());
  }
  // A bind mount takes its flags only when remounted.
  if (flags != 0 &&
      ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | flags, nullptr) != 0) {
    auto error = errno_error("remount read-only", target.string());
    ::umount2(target.c_str(), MNT_DETACH);
    return error;
  }
  return {};
}

// lowerdir=/a/l/X:/a/l/Y -> lowerdir=X:Y; returns /a/l, the directory the
// relative names resolve from.
inline std::string relative_lowers(std::string &lowerdir) {
  std::vector<std::string> dirs;
  std::string_view rest = std::string_view(lowerdir).substr(std::string_view("lowerdir=").size());
  while (!rest.empty()) {
    const auto colon = std::min(rest.find(':'), rest.size());
    dirs.emplace_back(rest.substr(0, colon));
    rest = rest.substr(std::min(colon + 1, rest.size()));
  }
  auto base = std::filesystem::path(dirs.front()).parent_path().string();
  for (const auto &dir : dirs) {
    while (!base.empty() && !dir.starts_with(base + "/")) {
      base = std::filesystem::path(base).parent_path().string();
    }
  }
  std::string relative;
  for (const auto &dir : dirs) {
    relative += (relative.empty() ? "" : ":") + dir.substr(base.size() + 1);
  }
  lowerdir = "lowerdir=" + relative;
  return base;
}

inline Result<void> mount_overlay(const Mount &spec, const std::filesystem::path &target) {
  constexpr std::size_t kPageLimit = 4095;
  unsigned long flags = 0;
  std::vector<std::string> options;
  for (const auto &option : spec.options) {
    if (const auto flag = flag_of(option); flag != 0) {
      flags |= flag;
    } else {
      options.push_back(option);
    }
  }
  auto data = join_options(options);
  std::string base;
  if (data.size() > kPageLimit) {
    for (auto &option : options) {
      if (option.starts_with("lowerdir=")) {
        base = relative_lowers(option);
      }
    }
    data = join_options(options);
    if (data.size() > kPageLimit || base.empty()) {
      return make_error(Errc::invalid_argument,
                        "overlay mount options are " + std::to_string(data.size()) +
                            " bytes, more than the kernel's limit of one page",
                        target.string());
    }
  }
  // Relative lower directories resolve against the working directory, which
  // is process-wide: changed just around the mount call and put back.
  int cwd = -1;
  if (!base.empty()) {
    cwd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0 || ::chdir(base.c_str()) != 0) {
      auto error = errno_error("chdir", base);
      if (cwd >= 0) {
        ::close(cwd);
      }
      return error;
    }
  }
  const int rc = ::mount(spec.source.c_str(), target.c_str(), "overlay", flags, data.c_str());
  const int err = errno;
  if (cwd >= 0) {
    const int back = ::fchdir(cwd);
    ::close(cwd);
    if (back != 0) {
      return errno_error("fchdir", "the previous working directory");
    }
  }
  if (rc != 0) {
    return errno_error("mount overlay", target.string(), err);
  }
  return {};
}

} // namespace detail

// Mounts every spec on target, in order. An overlay whose options exceed the
// kernel's one-page limit is mounted with its lower directories relative to
// their common parent, which is how 200 layers fit.
inline Result<void> mount_all(const std::vector<Mount> &mounts,
                              const std::filesystem::path &target) {
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    const auto &spec = mounts[i];
    Result<void> done;
    if (spec.type == "bind") {
      done = detail::mount_bind(spec, target);
    } else if (spec.type == "overlay") {
      done = detail::mount_overlay(spec, target);
    } else {
      done =
          make_error(Errc::unsupported, "unknown mount type '" + spec.type + "'", target.string());
    }
    if (!done.ok()) {
      for (std::size_t j = 0; j < i; ++j) {
        ::umount2(target.c_str(), MNT_DETACH);
      }
      return done;
    }
  }
  return {};
}

// Unmounts target, lazily if it is busy.
inline Result<void> unmount(const std::filesystem::path &target) {
  if (::umount2(target.c_str(), 0) == 0) {
    return {};
  }
  if (errno == EBUSY && ::umount2(target.c_str(), MNT_DETACH) == 0) {
    return {};
  }
  return errno_error("umount", target.string());
}

} // namespace berth::sdk::inline v1
