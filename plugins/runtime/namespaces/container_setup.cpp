#include "namespaces/container_setup.hpp"

#include "common/host_fds.hpp"
#include "common/seccomp.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <grp.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

namespace berth::runtime {
namespace {

// A failure inside the child: reported once through the pipe, then _exit.
struct SetupError {
  char code = 'I';
  std::string text;
};

[[noreturn]] void fail(const ChildChannels &channels, const SetupError &error) {
  std::string message = "E";
  message += error.code;
  message += error.text;
  (void)!::write(channels.report, message.data(), message.size());
  ::_exit(1);
}

// Set-up failures are the engine's (exit 125 in run); only the program's own
// lookup reports not-found or permission (127, 126).
SetupError sys_error(const std::string &what) {
  return {'I', what + ": " + std::strerror(errno)};
}

#define CHECK_SYS(call, what)                                                                      \
  do {                                                                                             \
    if ((call) < 0) {                                                                              \
      fail(channels, sys_error(what));                                                             \
    }                                                                                              \
  } while (0)

int open_in_root(int rootfd, const std::string &path, int flags, mode_t mode = 0) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags) | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const auto relative = path.substr(
      path.find_first_not_of('/') == std::string::npos ? path.size() : path.find_first_not_of('/'));
  return static_cast<int>(
      ::syscall(SYS_openat2, rootfd, relative.empty() ? "." : relative.c_str(), &how, sizeof how));
}

// Makes every directory of path inside the root, never following a symlink
// out of it, and returns an O_PATH fd of the last one.
int make_directories(int rootfd, const std::string &path) {
  std::string prefix;
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) {
      continue;
    }
    const int parent = open_in_root(rootfd, prefix.empty() ? "/" : prefix, O_PATH | O_DIRECTORY);
    if (parent < 0) {
      return -1;
    }
    const int made = ::mkdirat(parent, part.c_str(), 0755);
    const int err = errno;
    ::close(parent);
    if (made < 0 && err != EEXIST) {
      errno = err;
      return -1;
    }
    prefix += "/" + part;
  }
  return open_in_root(rootfd, path, O_PATH | O_DIRECTORY);
}

// The mount target as an O_PATH fd: a directory, or an empty file for a
// bind mount of a file.
int make_target(int rootfd, const std::string &path, bool directory) {
  if (directory) {
    return make_directories(rootfd, path);
  }
  const auto slash = path.find_last_of('/');
  const int parent = make_directories(rootfd, path.substr(0, slash));
  if (parent < 0) {
    return -1;
  }
  ::close(parent);
  // Never open what the image put there for writing: a FIFO would block,
  // a device node would be opened on the host's behalf.
  const int existing = open_in_root(rootfd, path, O_PATH);
  if (existing >= 0) {
    struct stat info {};
    if (::fstat(existing, &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) {
      ::close(existing);
      errno = EINVAL;
      return -1;
    }
    return existing;
  }
  const int file = open_in_root(rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (file < 0) {
    return -1;
  }
  ::close(file);
  return open_in_root(rootfd, path, O_PATH);
}

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

// A mount made through /proc/self/fd/N lands on the right directory, but the
// magic link keeps naming the directory underneath; the resolved path, walked
// again, reaches the new mount (for remounts and propagation changes).
std::string resolved_path(int fd) {
  char resolved[PATH_MAX] = {};
  if (::readlink(fd_path(fd).c_str(), resolved, sizeof resolved - 1) < 0) {
    return fd_path(fd);
  }
  return resolved;
}

struct HostCgroupMount {
  std::string name; // directory under /sys/fs/cgroup
  std::string type; // cgroup or cgroup2
  std::string options;
};

std::vector<HostCgroupMount> host_cgroup_mounts() {
  std::vector<HostCgroupMount> mounts;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream fields(line.substr(0, line.find(" - ")));
    std::string skip;
    std::string point;
    fields >> skip >> skip >> skip >> skip >> point;
    std::stringstream rest(line.substr(line.find(" - ") + 3));
    std::string type;
    std::string source;
    std::string options;
    rest >> type >> source >> options;
    const std::string base = "/sys/fs/cgroup/";
    if ((type == "cgroup" || type == "cgroup2") && point.starts_with(base)) {
      std::string kept;
      std::stringstream opts(options);
      std::string option;
      while (std::getline(opts, option, ',')) {
        if (option != "rw" && option != "ro") {
          kept += (kept.empty() ? "" : ",") + option;
        }
      }
      mounts.push_back({point.substr(base.size()), type, kept});
    }
  }
  return mounts;
}

// On a v2 host the container gets cgroup2; on v1 or hybrid, a tmpfs with
// each hierarchy mounted below it, as crun and runc do. With a cgroup
// namespace the container sees only its own subtree.
void mount_cgroups(int target, const MountPlan &mount, const ChildChannels &channels) {
  const int original = target;
  const auto hierarchies = host_cgroup_mounts();
  const auto flags = (mount.flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (hierarchies.empty()) {
    CHECK_SYS(::mount("cgroup2", fd_path(target).c_str(), "cgroup2", mount.flags, nullptr),
              "mount cgroup2 on " + mount.target);
    return;
  }
  CHECK_SYS(::mount("tmpfs", fd_path(target).c_str(), "tmpfs", flags, "mode=755"),
            "mount tmpfs on " + mount.target);
  // The fd (and its /proc magic link) still names the directory under the
  // new tmpfs; its resolved path, walked again, crosses into the mount.
  const int tmpfs =
      ::open(resolved_path(target).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  CHECK_SYS(tmpfs, "open " + mount.target);
  target = tmpfs;
  for (const auto &hierarchy : hierarchies) {
    if (hierarchy.name.find('/') != std::string::npos) {
      continue;
    }
    ::mkdirat(target, hierarchy.name.c_str(), 0755);
    const int dir = ::openat(target, hierarchy.name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK_SYS(dir, "open " + mount.target + "/" + hierarchy.name);
    const char *data = hierarchy.type == "cgroup" ? hierarchy.options.c_str() : nullptr;
    if (::mount("cgroup", fd_path(dir).c_str(), hierarchy.type.c_str(), mount.flags, data) < 0 &&
        errno != EBUSY) {
      fail(channels,
           sys_error("mount " + hierarchy.type + " on " + mount.target + "/" + hierarchy.name));
    }
    ::close(dir);
  }
  if ((mount.flags & MS_RDONLY) != 0) {
    CHECK_SYS(::mount(nullptr, fd_path(target).c_str(), nullptr, MS_REMOUNT | MS_RDONLY | flags,
                      "mode=755"),
              "remount " + mount.target + " read-only");
  }
  if (target != original) {
    ::close(target);
  }
}

// The flags a bind mount takes, as mount_setattr's attributes.
mount_attr bind_attributes(unsigned long flags) {
  mount_attr attr{};
  const std::pair<unsigned long, std::uint64_t> kinds[] = {{MS_RDONLY, MOUNT_ATTR_RDONLY},
                                                           {MS_NOSUID, MOUNT_ATTR_NOSUID},
                                                           {MS_NODEV, MOUNT_ATTR_NODEV},
                                                           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
                                                           {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}};
  for (const auto &[flag, attribute] : kinds) {
    if ((flags & flag) != 0) {
      attr.attr_set |= attribute;
    }
  }
  for (const auto &[flag, atime] : {std::pair{MS_NOATIME, MOUNT_ATTR_NOATIME},
                                    std::pair{MS_STRICTATIME, MOUNT_ATTR_STRICTATIME},
                                    std::pair{MS_RELATIME, MOUNT_ATTR_RELATIME}}) {
    if ((flags & flag) != 0) {
      attr.attr_clr |= MOUNT_ATTR__ATIME;
      attr.attr_set |= atime;
    }
  }
  return attr;
}

// The bind is made detached (open_tree), given its flags and propagation
// there, and attached at the target's fd: no path is resolved again after
// the target was opened, so a symlink swapped in meanwhile by a container
// sharing a volume cannot send the read-only remount elsewhere and leave
// this mount writable (the CVE-2021-30465 pattern).
void bind_by_fd(int target, const MountPlan &mount, const ChildChannels &channels) {
  const unsigned recursive = mount.recursive ? AT_RECURSIVE : 0;
  const int tree = static_cast<int>(
      ::open_tree(AT_FDCWD, mount.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive));
  CHECK_SYS(tree, "bind mount " + mount.source + " on " + mount.target);
  auto attr = bind_attributes(mount.flags);
  if (attr.attr_set != 0 || attr.attr_clr != 0) {
    // Recursive too for a read-only rbind: a volume's submounts must not
    // stay writable below it.
    CHECK_SYS(::mount_setattr(tree, "", AT_EMPTY_PATH | recursive, &attr, sizeof attr),
              "remount " + mount.target);
  }
  CHECK_SYS(::move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH),
            "bind mount " + mount.source + " on " + mount.target);
  if (mount.propagation != 0) {
    mount_attr propagation{};
    propagation.propagation = mount.propagation & ~MS_REC;
    const unsigned deep = (mount.propagation & MS_REC) != 0 ? AT_RECURSIVE : 0;
    CHECK_SYS(::mount_setattr(tree, "", AT_EMPTY_PATH | deep, &propagation, sizeof propagation),
              "set propagation of " + mount.target);
  }
  ::close(tree);
}

void mount_one(int rootfd, const MountPlan &mount, const ChildChannels &channels) {
  bool directory = true;
  if (mount.bind) {
    struct stat source {};
    CHECK_SYS(::stat(mount.source.c_str(), &source), "bind mount source " + mount.source);
    directory = S_ISDIR(source.st_mode);
  }
  const int target = make_target(rootfd, mount.target, directory);
  CHECK_SYS(target, "mount target " + mount.target);
  const auto where = fd_path(target);
  if (mount.bind) {
    bind_by_fd(target, mount, channels);
    ::close(target);
    return;
  }
  const auto mounted = resolved_path(target);
  if (mount.type == "cgroup" || mount.type == "cgroup2") {
    mount_cgroups(target, mount, channels);
  } else {
    CHECK_SYS(::mount(mount.source.c_str(), where.c_str(), mount.type.c_str(), mount.flags,
                      mount.data.empty() ? nullptr : mount.data.c_str()),
              "mount " + mount.type + " on " + mount.target);
  }
  if (mount.propagation != 0) {
    CHECK_SYS(::mount(nullptr, mounted.c_str(), nullptr, mount.propagation, nullptr),
              "set propagation of " + mount.target);
  }
  ::close(target);
}

void make_device(int rootfd, const DevicePlan &device, const ChildChannels &channels) {
  const auto slash = device.path.find_last_of('/');
  const int dir = make_directories(rootfd, device.path.substr(0, slash));
  CHECK_SYS(dir, "device directory for " + device.path);
  const auto name = device.path.substr(slash + 1);
  ::unlinkat(dir, name.c_str(), 0);
  if (::mknodat(dir, name.c_str(), device.type | (device.mode & 07777),
                makedev(device.major, device.minor)) == 0) {
    CHECK_SYS(::fchownat(dir, name.c_str(), device.uid, device.gid, AT_SYMLINK_NOFOLLOW),
              "chown " + device.path);
  } else {
    // Without CAP_MKNOD (a user namespace), bind the host's node instead.
    const int file = ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHECK_SYS(file, "create " + device.path);
    CHECK_SYS(::mount(device.path.c_str(), fd_path(file).c_str(), nullptr, MS_BIND, nullptr),
              "bind mount " + device.path);
    ::close(file);
  }
  ::close(dir);
}

bool mounts_dev(const InitPlan &plan) {
  for (const auto &mount : plan.mounts) {
    if (mount.target == "/dev" && !mount.bind) {
      return true;
    }
  }
  return false;
}

void populate_dev(int rootfd, const InitPlan &plan, const ChildChannels &channels) {
  for (const auto &device : plan.devices) {
    make_device(rootfd, device, channels);
  }
  const int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
  CHECK_SYS(dev, "open /dev");
  const std::pair<const char *, const char *> links[] = {
      {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},         {"/proc/kcore", "core"},
  };
  for (const auto &[target, name] : links) {
    if (::symlinkat(target, dev, name) < 0 && errno != EEXIST) {
      fail(channels, sys_error(std::string("symlink /dev/") + name));
    }
  }
  ::close(dev);
}

void pivot_into(const std::string &rootfs, const ChildChannels &channels) {
  CHECK_SYS(::chdir(rootfs.c_str()), "chdir " + rootfs);
  // pivot_root(".", ".") stacks the old root under the new one; detaching it
  // leaves only the container's tree, without a temporary directory.
  CHECK_SYS(::syscall(SYS_pivot_root, ".", "."), "pivot_root " + rootfs);
  CHECK_SYS(::umount2(".", MNT_DETACH), "detach the host's root");
  CHECK_SYS(::chdir("/"), "chdir /");
}

void setup_rootfs(const InitPlan &plan, const ChildChannels &channels) {
  const unsigned long propagation =
      plan.root_propagation != 0 ? plan.root_propagation : static_cast<unsigned long>(MS_PRIVATE);
  CHECK_SYS(::mount(nullptr, "/", nullptr, MS_REC | propagation, nullptr), "make / private");
  // pivot_root needs a mount point; rootfs may be a plain directory.
  CHECK_SYS(::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr),
            "bind mount " + plan.rootfs);
  const int rootfd = ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(rootfd, "open " + plan.rootfs);
  for (const auto &mount : plan.mounts) {
    mount_one(rootfd, mount, channels);
  }
  if (mounts_dev(plan)) {
    populate_dev(rootfd, plan, channels);
  }
  ::close(rootfd);
  pivot_into(plan.rootfs, channels);
}

void mask_paths(const InitPlan &plan, const ChildChannels &channels) {
  for (const auto &path : plan.masked_paths) {
    struct stat info {};
    if (::stat(path.c_str(), &info) < 0) {
      continue; // nothing to hide
    }
    const int done = S_ISDIR(info.st_mode)
                         ? ::mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY, "size=0k")
                         : ::mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr);
    CHECK_SYS(done, "mask " + path);
  }
}

void make_readonly(const std::string &path, bool recursive, const ChildChannels &channels) {
  CHECK_SYS(
      ::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | (recursive ? MS_REC : 0), nullptr),
      "bind " + path);
  struct statvfs info {};
  unsigned long keep = 0;
  if (::statvfs(path.c_str(), &info) == 0) {
    keep |= (info.f_flag & ST_NOSUID) != 0 ? MS_NOSUID : 0;
    keep |= (info.f_flag & ST_NODEV) != 0 ? MS_NODEV : 0;
    keep |= (info.f_flag & ST_NOEXEC) != 0 ? MS_NOEXEC : 0;
  }
  CHECK_SYS(::mount(nullptr, path.c_str(), nullptr,
                    MS_BIND | MS_REMOUNT | MS_RDONLY | keep | (recursive ? MS_REC : 0), nullptr),
            "make " + path + " read-only");
}

void protect_paths(const InitPlan &plan, const ChildChannels &channels) {
  for (const auto &[key, value] : plan.sysctl) {
    std::string file = "/proc/sys/" + key;
    std::replace(file.begin() + 10, file.end(), '.', '/');
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    CHECK_SYS(fd, "sysctl " + key);
    std::string setting = "sysctl " + key;
    setting += "=";
    setting += value;
    CHECK_SYS(::write(fd, value.data(), value.size()), setting);
    ::close(fd);
  }
  mask_paths(plan, channels);
  for (const auto &path : plan.readonly_paths) {
    if (::access(path.c_str(), F_OK) == 0) {
      make_readonly(path, true, channels);
    }
  }
  if (plan.readonly_root) {
    CHECK_SYS(::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr),
              "make the root filesystem read-only");
  }
}

void send_fd(int socket, int fd, const ChildChannels &channels) {
  char byte = 0;
  iovec io{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr *header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  CHECK_SYS(::sendmsg(socket, &message, 0), "send the terminal to the console socket");
}

// The pty lives in the container's own devpts, so `tty` names a path the
// container can see; its master goes to whoever holds the console socket.
void setup_terminal(const ChildChannels &channels) {
  const int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHECK_SYS(master, "open /dev/ptmx (is devpts mounted at /dev/pts?)");
  CHECK_SYS(::unlockpt(master), "unlockpt");
  char name[PATH_MAX] = {};
  if (::ptsname_r(master, name, sizeof name) != 0) {
    fail(channels, sys_error("ptsname"));
  }
  const int slave = ::open(name, O_RDWR | O_NOCTTY);
  CHECK_SYS(slave, std::string("open ") + name);
  send_fd(channels.console, master, channels);
  ::close(master);
  ::close(channels.console);
  CHECK_SYS(::ioctl(slave, TIOCSCTTY, 0), "make the terminal the controlling tty");
  for (int fd = 0; fd < 3; ++fd) {
    CHECK_SYS(::dup2(slave, fd), "dup2 terminal");
  }
  if (slave > 2) {
    ::close(slave);
  }
}

void setup_stdio(const ProcessPlan &plan, const ChildChannels &channels) {
  ::setsid();
  if (plan.terminal) {
    if (channels.console < 0) {
      fail(channels, {'I', "process.terminal is set but no console socket was given"});
    }
    setup_terminal(channels);
    return;
  }
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const int wanted[3] = {channels.stdin_fd, channels.stdout_fd, channels.stderr_fd};
  for (int fd = 0; fd < 3; ++fd) {
    const int from = wanted[fd] >= 0 ? wanted[fd] : null;
    CHECK_SYS(from, "open /dev/null");
    CHECK_SYS(::dup2(from, fd), "dup2 stdio");
  }
}

bool has_path_env(const std::vector<std::string> &env, std::string &path) {
  for (const auto &entry : env) {
    if (entry.starts_with("PATH=")) {
      path = entry.substr(5);
      return true;
    }
  }
  return false;
}

// The program as execve will find it, checked before the container is
// reported created, so that `run` can answer 127 or 126 like Docker.
std::string find_executable(const ProcessPlan &plan, const ChildChannels &channels) {
  const auto &name = plan.args.front();
  auto check = [&](const std::string &candidate) -> int {
    struct stat info {};
    if (::stat(candidate.c_str(), &info) < 0) {
      return ENOENT;
    }
    if (S_ISDIR(info.st_mode) || ::access(candidate.c_str(), X_OK) < 0) {
      return EACCES;
    }
    return 0;
  };
  if (name.find('/') != std::string::npos) {
    if (int err = check(name); err != 0) {
      fail(channels, {err == ENOENT ? 'N' : 'P',
                      "exec: \"" + name + "\": " +
                          (err == ENOENT ? "no such file or directory" : "permission denied")});
    }
    return name;
  }
  std::string search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  has_path_env(plan.env, search);
  std::stringstream dirs(search);
  std::string dir;
  bool denied = false;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = dir.empty() ? std::string(".") : dir;
    candidate += "/";
    candidate += name;
    const int err = check(candidate);
    if (err == 0) {
      return candidate;
    }
    denied = denied || err == EACCES;
  }
  fail(channels, {denied ? 'P' : 'N',
                  "exec: \"" + name + "\": " +
                      (denied ? "permission denied" : "executable file not found in $PATH")});
}

void apply_rlimits(const ProcessPlan &plan, const ChildChannels &channels) {
  for (const auto &limit : plan.rlimits) {
    rlimit value{limit.soft, limit.hard};
    CHECK_SYS(::setrlimit(limit.resource, &value),
              "setrlimit " + std::to_string(limit.resource) + " to " + std::to_string(limit.soft) +
                  ":" + std::to_string(limit.hard) + " (above this host's hard limit?)");
  }
  if (plan.oom_score_adj) {
    const auto text = std::to_string(*plan.oom_score_adj);
    const int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    CHECK_SYS(fd, "open oom_score_adj");
    CHECK_SYS(::write(fd, text.data(), text.size()), "write oom_score_adj");
    ::close(fd);
  }
}

void drop_bounding(const CapabilityPlan &caps, const ChildChannels &channels) {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (std::find(caps.bounding.begin(), caps.bounding.end(), cap) == caps.bounding.end()) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
        fail(channels, sys_error("drop capability " + std::to_string(cap)));
      }
    }
  }
}

void set_capabilities(const CapabilityPlan &caps, const ChildChannels &channels) {
  cap_t state = cap_init();
  auto set = [&](cap_flag_t flag, const std::vector<int> &values) {
    std::vector<cap_value_t> list(values.begin(), values.end());
    if (!list.empty()) {
      cap_set_flag(state, flag, static_cast<int>(list.size()), list.data(), CAP_SET);
    }
  };
  set(CAP_EFFECTIVE, caps.effective);
  set(CAP_PERMITTED, caps.permitted);
  set(CAP_INHERITABLE, caps.inheritable);
  CHECK_SYS(cap_set_proc(state), "set capabilities");
  cap_free(state);
  for (int cap : caps.ambient) {
    CHECK_SYS(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0),
              "raise ambient capability " + std::to_string(cap));
  }
}

// Raw system calls: glibc's wrappers broadcast the change to every thread
// it believes the process has, and a child of a raw clone3 from a threaded
// caller would wait for ever for threads that only exist in the parent.
void switch_user(const ProcessPlan &plan, const ChildChannels &channels) {
  CHECK_SYS(::syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()), "setgroups");
  CHECK_SYS(::syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid),
            "setgid " + std::to_string(plan.gid));
  CHECK_SYS(::syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid),
            "setuid " + std::to_string(plan.uid));
}

// Order matters: the bounding set needs CAP_SETPCAP, so it shrinks first;
// KEEPCAPS carries the permitted set across setuid; a seccomp filter needs
// no_new_privs or CAP_SYS_ADMIN, so without no_new_privs it goes in while
// the capabilities are still whole.
void apply_identity(const ProcessPlan &plan, const ChildChannels &channels) {
  apply_rlimits(plan, channels);
  if (!plan.no_new_privileges) {
    if (auto loaded = install_seccomp(plan.seccomp_program); !loaded.ok()) {
      fail(channels, {'I', loaded.error().describe()});
    }
  }
  const bool caps = plan.set_capabilities;
  if (caps) {
    drop_bounding(plan.capabilities, channels);
    CHECK_SYS(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "keep capabilities");
  }
  switch_user(plan, channels);
  if (caps) {
    CHECK_SYS(::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "reset keepcaps");
    set_capabilities(plan.capabilities, channels);
  }
  if (plan.no_new_privileges) {
    CHECK_SYS(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs");
  }
  CHECK_SYS(::chdir(plan.cwd.c_str()), "chdir to the working directory " + plan.cwd);
}

std::vector<char *> c_strings(const std::vector<std::string> &strings) {
  std::vector<char *> pointers;
  pointers.reserve(strings.size() + 1);
  for (const auto &s : strings) {
    pointers.push_back(const_cast<char *>(s.c_str()));
  }
  pointers.push_back(nullptr);
  return pointers;
}

[[noreturn]] void exec_program(const ProcessPlan &plan, const std::string &path,
                               const ChildChannels &channels) {
  if (plan.no_new_privileges) {
    if (auto loaded = install_seccomp(plan.seccomp_program); !loaded.ok()) {
      fail(channels, {'I', loaded.error().describe()});
    }
  }
  ::umask(022);
  auto argv = c_strings(plan.args);
  auto envp = c_strings(plan.env);
  // Whatever the caller had open (a state file, a pipe to the monitor, the
  // user's files) must not reach the program: an fd on the host is a way out.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(path.c_str(), argv.data(), envp.data());
  const int err = errno;
  const auto message = "berth: exec \"" + plan.args.front() + "\": " + std::strerror(err) + "\n";
  (void)!::write(STDERR_FILENO, message.data(), message.size());
  // The report pipe is close-on-exec, so it is still open only on failure.
  fail(channels,
       {err == ENOENT ? 'N' : 'P', "exec \"" + plan.args.front() + "\": " + std::strerror(err)});
}

void wait_for_go(const ChildChannels &channels) {
  char byte = 0;
  if (::read(channels.go, &byte, 1) != 1) {
    ::_exit(1); // the parent gave up; nothing to report to
  }
  ::close(channels.go);
}

// Blocks until start() opens the fifo for reading, so the program runs only
// when asked, even if the process that asks is not our parent.
void wait_for_start(const ChildChannels &channels) {
  const int fifo = ::open(fd_path(channels.exec_fifo).c_str(), O_WRONLY | O_CLOEXEC);
  if (fifo < 0) {
    ::_exit(1);
  }
  const char byte = 0;
  (void)!::write(fifo, &byte, 1);
  ::close(fifo);
  ::close(channels.exec_fifo);
}

// A monitor blocks SIGCHLD and ignores SIGPIPE for itself; mask and ignored
// dispositions survive execve, so the program must not inherit them.
void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) {
      ::signal(signal, SIG_DFL);
    }
  }
}

// Into the container's v1 cgroups before anything else, so that what the
// set-up allocates is the container's. "0" is this thread; the init has no
// other, so the process moves whole.
void join_cgroups(const InitPlan &plan, const ChildChannels &channels) {
  for (const auto &file : plan.cgroup_tasks) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    CHECK_SYS(fd, "open " + file);
    CHECK_SYS(static_cast<int>(::write(fd, "0", 1)), "join the cgroup through " + file);
    ::close(fd);
  }
}

void join_namespaces(const InitPlan &plan, const ChildChannels &channels) {
  for (const auto &[type, path] : plan.join) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    CHECK_SYS(fd, "open namespace " + path);
    CHECK_SYS(::setns(fd, type), "join namespace " + path);
    ::close(fd);
  }
}

} // namespace

sdk::Result<void> bring_up_loopback() {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    return sdk::errno_error("socket", "lo");
  }
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int result = ::ioctl(sock, SIOCGIFFLAGS, &request);
  if (result == 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    result = ::ioctl(sock, SIOCSIFFLAGS, &request);
  }
  const int err = errno;
  ::close(sock);
  if (result < 0) {
    return sdk::errno_error("bring up", "lo", err);
  }
  return {};
}

void run_container_init(const InitPlan &plan, const ChildChannels &channels) {
  // A clone of the caller (berth-shim) until execve, waiting for `start`
  // meanwhile: it must hold none of the caller's fds (the shim's lock and
  // attach socket would outlive the shim in it).
  if (!seal_from_host({channels.report, channels.go, channels.exec_fifo, channels.stdin_fd,
                       channels.stdout_fd, channels.stderr_fd, channels.console})) {
    fail(channels, {'I', std::string("seal the init from the host: ") + std::strerror(errno)});
  }
  reset_signals();
  ::umask(0);
  join_cgroups(plan, channels);
  wait_for_go(channels);
  join_namespaces(plan, channels);
  if (plan.new_cgroup_namespace) {
    CHECK_SYS(::unshare(CLONE_NEWCGROUP), "new cgroup namespace");
  }
  if ((plan.clone_flags & CLONE_NEWNET) != 0) {
    if (auto up = bring_up_loopback(); !up.ok()) {
      fail(channels, {'I', up.error().describe()});
    }
  }
  if (!plan.hostname.empty() && (plan.clone_flags & CLONE_NEWUTS) != 0) {
    CHECK_SYS(::sethostname(plan.hostname.data(), plan.hostname.size()), "sethostname");
  }
  setup_rootfs(plan, channels);
  protect_paths(plan, channels);
  setup_stdio(plan.process, channels);
  apply_identity(plan.process, channels);
  // As the container's user, so that a program it may not run is 126 too.
  const auto program = find_executable(plan.process, channels);
  (void)!::write(channels.report, "OK", 2);
  ::close(channels.report);
  wait_for_start(channels);
  exec_program(plan.process, program, channels);
}

void run_exec_process(const ProcessPlan &plan, const ChildChannels &channels) {
  reset_signals();
  ::umask(022);
  wait_for_go(channels);
  setup_stdio(plan, channels);
  apply_identity(plan, channels);
  const auto program = find_executable(plan, channels);
  exec_program(plan, program, channels);
}

sdk::Result<void> read_child_report(int fd, bool expect_ok, const std::string &context) {
  std::string message;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) {
      message.append(buffer, static_cast<std::size_t>(n));
    }
  }
  if (message == "OK" || (message.empty() && !expect_ok)) {
    return {};
  }
  if (message.empty()) {
    return sdk::make_error(sdk::Errc::internal,
                           "the container's init died while setting up (see the kernel log)",
                           context);
  }
  if (message.size() < 2 || message[0] != 'E') {
    return sdk::make_error(sdk::Errc::internal, "unexpected report from the container: " + message,
                           context);
  }
  const auto code = message[1] == 'N'   ? sdk::Errc::not_found
                    : message[1] == 'P' ? sdk::Errc::permission
                                        : sdk::Errc::io;
  return sdk::make_error(code, message.substr(2), context);
}

} // namespace berth::runtime
