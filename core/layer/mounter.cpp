#include "layer/mounter.hpp"

#include "util/fd.hpp"
#include "util/text.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace berth {
namespace {

constexpr std::size_t kPageLimit = 4095;

sdk::Result<void> mount_bind(const sdk::Mount &spec, const std::filesystem::path &target) {
  bool read_only = false;
  for (const auto &option : spec.options) {
    read_only = read_only || option == "ro";
  }
  if (::mount(spec.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return sdk::errno_error("mount --bind " + spec.source, target.string());
  }
  if (read_only &&
      ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    const auto error = sdk::errno_error("remount read-only", target.string());
    ::umount2(target.c_str(), MNT_DETACH);
    return error;
  }
  return {};
}

// lowerdir=/a/l/X:/a/l/Y -> lowerdir=X:Y with /a/l returned as the directory
// to mount from.
std::string relative_lowers(std::string &lowerdir) {
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
  std::vector<std::string> relative;
  relative.reserve(dirs.size());
  for (const auto &dir : dirs) {
    relative.push_back(dir.substr(base.size() + 1));
  }
  lowerdir = "lowerdir=" + join(relative, ":");
  return base;
}

sdk::Result<void> mount_overlay(const sdk::Mount &spec, const std::filesystem::path &target) {
  unsigned long flags = 0;
  std::vector<std::string> options;
  for (const auto &option : spec.options) {
    if (option == "ro") {
      flags |= MS_RDONLY;
    } else {
      options.push_back(option);
    }
  }
  auto data = join(options, ",");
  std::string base;
  if (data.size() > kPageLimit) {
    for (auto &option : options) {
      if (option.starts_with("lowerdir=")) {
        base = relative_lowers(option);
      }
    }
    data = join(options, ",");
    if (data.size() > kPageLimit || base.empty()) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "overlay mount options are " + std::to_string(data.size()) +
                                 " bytes, more than the kernel's limit of one page",
                             target.string());
    }
  }
  // Relative lower directories resolve against the working directory, which
  // is process-wide: changed just around the mount call and put back.
  UniqueFd cwd;
  if (!base.empty()) {
    cwd.reset(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cwd.valid() || ::chdir(base.c_str()) != 0) {
      return sdk::errno_error("chdir", base);
    }
  }
  const int rc = ::mount(spec.source.c_str(), target.c_str(), "overlay", flags, data.c_str());
  const int err = errno;
  if (cwd.valid() && ::fchdir(cwd.get()) != 0) {
    return sdk::errno_error("fchdir", "the previous working directory");
  }
  if (rc != 0) {
    return sdk::errno_error("mount overlay", target.string(), err);
  }
  return {};
}

} // namespace

sdk::Result<void> mount_all(const std::vector<sdk::Mount> &mounts,
                            const std::filesystem::path &target) {
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    const auto &spec = mounts[i];
    auto done = spec.type == "bind" ? mount_bind(spec, target)
                : spec.type == "overlay"
                    ? mount_overlay(spec, target)
                    : sdk::Result<void>(sdk::make_error(sdk::Errc::unsupported,
                                                        "unknown mount type '" + spec.type + "'",
                                                        target.string()));
    if (!done.ok()) {
      for (std::size_t j = 0; j < i; ++j) {
        ::umount2(target.c_str(), MNT_DETACH);
      }
      return done;
    }
  }
  return {};
}

sdk::Result<void> unmount(const std::filesystem::path &target) {
  if (::umount2(target.c_str(), 0) == 0) {
    return {};
  }
  if (errno == EBUSY && ::umount2(target.c_str(), MNT_DETACH) == 0) {
    return {};
  }
  return sdk::errno_error("umount", target.string());
}

} // namespace berth
