#include "overlay2/overlay_driver.hpp"

#include "common/file_tree.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace berth::storage {
namespace {

constexpr long kOverlayfsMagic = 0x794c7630;
constexpr std::size_t kLinkLength = 10;

bool kernel_has_overlay() {
  std::ifstream filesystems("/proc/filesystems");
  std::string line;
  while (std::getline(filesystems, line)) {
    if (line.ends_with("\toverlay")) {
      return true;
    }
  }
  // A module not loaded yet: the first overlay mount loads it.
  struct utsname host {};
  ::uname(&host);
  std::error_code ec;
  return std::filesystem::exists(
      std::filesystem::path("/lib/modules") / host.release / "kernel/fs/overlayfs", ec);
}

// Why root cannot hold overlay upper directories, or nullopt if it can.
std::optional<std::string> unusable_root(const std::filesystem::path &root) {
  struct statfs fs {};
  if (::statfs(root.c_str(), &fs) == 0 && fs.f_type == kOverlayfsMagic) {
    return "the state directory " + root.string() +
           " is on overlayfs, which cannot hold upper directories; put the root on ext4 or "
           "xfs, or use the vfs driver";
  }
  // A file of its own: other berth processes may be probing at the same time.
  std::string probe = (root / ".xattr-probe-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    return "cannot create a file in the state directory " + root.string() + ": " +
           std::strerror(errno);
  }
  const int set = ::fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0);
  const int err = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (set != 0) {
    return "the state directory " + root.string() + " cannot store trusted xattrs (" +
           std::strerror(err) + "), which overlay whiteouts need; use the vfs driver";
  }
  return std::nullopt;
}

std::string random_link() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string link(kLinkLength, 'A');
  for (auto &c : link) {
    c = kAlphabet[generator() % (sizeof(kAlphabet) - 1)];
  }
  return link;
}

} // namespace

std::optional<std::string> OverlayDriver::probe() {
  if (!kernel_has_overlay()) {
    return "the kernel has no overlayfs (try 'modprobe overlay')";
  }
  return std::nullopt;
}

sdk::Result<std::unique_ptr<OverlayDriver>> OverlayDriver::create(sdk::HostServices &host,
                                                                  const nlohmann::json &
                                                                  /*options*/) {
  auto root = host.state_dir();
  if (!root.ok()) {
    return std::move(root).error();
  }
  if (auto reason = unusable_root(*root)) {
    return sdk::make_error(sdk::Errc::unavailable, *reason);
  }
  std::error_code ec;
  std::filesystem::create_directories(*root / "snapshots", ec);
  std::filesystem::create_directories(*root / "l", ec);
  if (ec) {
    return sdk::make_error(sdk::Errc::io, "cannot create the driver's directories: " + ec.message(),
                           root->string());
  }
  return std::make_unique<OverlayDriver>(host, *root);
}

void *OverlayDriver::query(std::string_view interface_id) noexcept {
  if (interface_id == sdk::LayerApply::interface_id) {
    return static_cast<sdk::LayerApply *>(this);
  }
  if (interface_id == sdk::LayerDiff::interface_id) {
    return static_cast<sdk::LayerDiff *>(this);
  }
  return nullptr;
}

sdk::Result<std::string> OverlayDriver::make_link(const std::string &id) {
  const auto target = "../snapshots/" + id + "/diff";
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto link = random_link();
    const auto path = link_path(link);
    if (::symlink(target.c_str(), path.c_str()) == 0) {
      return link;
    }
    if (errno != EEXIST) {
      return sdk::errno_error("symlink", path.string());
    }
  }
  return sdk::make_error(sdk::Errc::internal, "no free short link name", id);
}

sdk::Result<void> OverlayDriver::populate(SnapshotRecord &record,
                                          const std::optional<SnapshotRecord> &parent) {
  if (parent) {
    record.lowers.push_back(parent->link);
    record.lowers.insert(record.lowers.end(), parent->lowers.begin(), parent->lowers.end());
  }
  const auto dir = table_.dir(record.id);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return sdk::errno_error("mkdir", dir.string()); // EEXIST: someone else's; keep it
  }
  for (const auto &made : {dir / "diff", dir / "work"}) {
    if (::mkdir(made.c_str(), 0755) != 0) {
      auto error = sdk::errno_error("mkdir", made.string());
      (void)remove_tree(dir);
      return error;
    }
  }
  // The upper directory's mode is the container root's; not the umask's.
  ::chmod((dir / "diff").c_str(), 0755);
  return {};
}

sdk::Result<void> OverlayDriver::on_commit(SnapshotRecord &record) {
  auto link = make_link(record.id);
  if (!link.ok()) {
    return std::move(link).error();
  }
  record.link = *link;
  return {};
}

sdk::Result<void> OverlayDriver::release(const SnapshotRecord &record) {
  if (!record.link.empty()) {
    ::unlink(link_path(record.link).c_str());
  }
  return remove_tree(table_.dir(record.id));
}

std::vector<sdk::Mount> OverlayDriver::mounts_of(const SnapshotRecord &record) const {
  const bool read_only = record.kind == sdk::SnapshotKind::view;
  if (record.lowers.empty()) {
    return {bind_mount(data_dir(record), read_only)};
  }
  // overlayfs needs two lower layers when it has no upper one.
  if (read_only && record.lowers.size() == 1) {
    return {bind_mount(link_path(record.lowers.front()), true)};
  }
  std::string lowerdir = "lowerdir=";
  for (std::size_t i = 0; i < record.lowers.size(); ++i) {
    lowerdir += (i == 0 ? "" : ":") + link_path(record.lowers[i]).string();
  }
  sdk::Mount mount{"overlay", "overlay", {lowerdir}};
  if (read_only) {
    mount.options.emplace_back("ro");
  } else {
    mount.options.push_back("upperdir=" + data_dir(record).string());
    mount.options.push_back("workdir=" + (table_.dir(record.id) / "work").string());
  }
  // The inode index ties an upper to one lower set; snapshots are remounted
  // over the same lowers through new short links, which it would refuse.
  mount.options.emplace_back("index=off");
  return {mount};
}

sdk::Result<void> OverlayDriver::apply(const std::string &key, sdk::LayerReader &layer) noexcept {
  try {
    auto record = record_of(key, sdk::SnapshotKind::active, "applying a layer");
    if (!record.ok()) {
      return std::move(record).error();
    }
    return layer.extract_to(data_dir(*record), sdk::WhiteoutFormat::overlay);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), key);
  }
}

sdk::Result<void> OverlayDriver::diff(const std::string &key, sdk::LayerWriter &out) noexcept {
  try {
    auto record = table_.get(key);
    if (!record.ok()) {
      return std::move(record).error();
    }
    if (record->kind == sdk::SnapshotKind::view) {
      return sdk::make_error(sdk::Errc::invalid_argument, "a view has no changes", key);
    }
    return out.add_tree(data_dir(*record), sdk::WhiteoutFormat::overlay);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what(), key);
  }
}

} // namespace berth::storage
