#include "container/spec_builder.hpp"

#include "container/seccomp_profile.hpp"
#include "util/in_root.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

namespace berth {
namespace {

using nlohmann::json;

constexpr const char *kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::uint64_t kCpuPeriod = 100000; // microseconds, as Docker

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) {
    parts.push_back(part);
  }
  return parts;
}

bool is_number(const std::string &text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char ch) { return std::isdigit(ch) != 0; });
}

// passwd: name:x:uid:gid:gecos:home:shell; group: name:x:gid:members
std::vector<std::vector<std::string>> database(const std::filesystem::path &rootfs,
                                               const char *file) {
  std::vector<std::vector<std::string>> rows;
  auto text = read_file_in_root(rootfs, file);
  if (!text) {
    return rows;
  }
  for (const auto &line : split(*text, '\n')) {
    if (!line.empty() && line.front() != '#') {
      rows.push_back(split(line, ':'));
    }
  }
  return rows;
}

sdk::Result<gid_t> resolve_group(const std::filesystem::path &rootfs, const std::string &group) {
  if (is_number(group)) {
    return static_cast<gid_t>(std::stoul(group));
  }
  for (const auto &row : database(rootfs, "/etc/group")) {
    if (row.size() >= 3 && row[0] == group && is_number(row[2])) {
      return static_cast<gid_t>(std::stoul(row[2]));
    }
  }
  return sdk::make_error(sdk::Errc::not_found,
                         "unable to find group " + group + ": no matching entries in group file");
}

// Docker's default rlimits are the daemon's own; berth's must also never ask
// for more than this process may grant (no CAP_SYS_RESOURCE on some hosts).
const std::map<std::string, int> &rlimit_resources() {
  static const std::map<std::string, int> resources = {
      {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
      {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
      {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
      {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
      {"stack", RLIMIT_STACK},       {"as", RLIMIT_AS}};
  return resources;
}

std::string rlimit_type(const std::string &name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return "RLIMIT_" + upper;
}

sdk::Result<json> rlimits(const ContainerConfig &config) {
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> wanted;
  rlimit own{};
  ::getrlimit(RLIMIT_NOFILE, &own);
  const std::uint64_t nofile = std::min<std::uint64_t>(own.rlim_max, 1048576);
  wanted["nofile"] = {nofile, nofile};
  for (const auto &limit : config.ulimits) {
    rlimit mine{};
    ::getrlimit(rlimit_resources().at(limit.name), &mine);
    if (mine.rlim_max != RLIM_INFINITY && limit.hard > mine.rlim_max) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "--ulimit " + limit.name + "=" + std::to_string(limit.soft) + ":" +
                                 std::to_string(limit.hard) +
                                 ": the hard limit is above this engine's own (" +
                                 std::to_string(mine.rlim_max) +
                                 "), which only CAP_SYS_RESOURCE could raise; use at most " +
                                 std::to_string(mine.rlim_max));
    }
    wanted[limit.name] = {limit.soft, limit.hard};
  }
  json list = json::array();
  for (const auto &[name, values] : wanted) {
    list.push_back({{"type", rlimit_type(name)}, {"soft", values.first}, {"hard", values.second}});
  }
  return list;
}

std::string env_key(const std::string &entry) {
  return entry.substr(0, entry.find('='));
}

// Later entries win, as with Docker's -e over the image's ENV.
std::vector<std::string> merge_env(std::vector<std::string> base,
                                   const std::vector<std::string> &overrides) {
  for (const auto &entry : overrides) {
    const auto key = env_key(entry);
    auto same = std::find_if(base.begin(), base.end(),
                             [&](const std::string &e) { return env_key(e) == key; });
    if (same != base.end()) {
      *same = entry;
    } else {
      base.push_back(entry);
    }
  }
  return base;
}

bool has_key(const std::vector<std::string> &env, const std::string &key) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string &e) { return env_key(e) == key; });
}

std::vector<std::string> process_env(const SpecInputs &in) {
  const auto image = in.image_config.value("config", json::object());
  auto env = merge_env(image.value("Env", std::vector<std::string>{}), in.config.env);
  if (!has_key(env, "PATH")) {
    env.insert(env.begin(), kDefaultPath);
  }
  env = merge_env({"HOSTNAME=" + in.hostname}, env);
  if (!has_key(env, "HOME")) {
    env.push_back("HOME=" + in.user.home);
  }
  if (in.config.tty && !has_key(env, "TERM")) {
    env.emplace_back("TERM=xterm");
  }
  return env;
}

json capabilities_json(const std::vector<std::string> &caps, bool root) {
  // A non-root user keeps no capabilities across exec unless ambient, as in
  // Docker; the bounding set still limits what setuid programs could gain.
  const json effective = root ? json(caps) : json::array();
  return {{"bounding", caps},
          {"effective", effective},
          {"permitted", effective},
          {"inheritable", json::array()},
          {"ambient", json::array()}};
}

json mount(const std::string &destination, const std::string &type, const std::string &source,
           std::vector<std::string> options) {
  return {{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
}

json default_mounts() {
  json mounts = json::array();
  mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  mounts.push_back(
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  // A fresh sysfs even with the host's network (as runc does): a bind of the
  // host's /sys would carry its submounts (debugfs, tracefs) writable.
  mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  mounts.push_back(
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  return mounts;
}

json user_mounts(const SpecInputs &in) {
  json mounts = default_mounts();
  for (const auto &[file, target] :
       {std::pair{in.resolv_file, "/etc/resolv.conf"}, std::pair{in.hostname_file, "/etc/hostname"},
        std::pair{in.hosts_file, "/etc/hosts"}}) {
    mounts.push_back(mount(target, "bind", file.string(), {"rbind", "rprivate"}));
  }
  for (const auto &t : in.config.tmpfs) {
    std::vector<std::string> options = {"nosuid", "nodev", "noexec"};
    for (const auto &option : split(t.options, ',')) {
      if (!option.empty()) {
        options.push_back(option);
      }
    }
    mounts.push_back(mount(t.target, "tmpfs", "tmpfs", options));
  }
  for (const auto &m : in.mounts) {
    mounts.push_back(
        mount(m.target, "bind", m.source, {"rbind", "rprivate", m.read_only ? "ro" : "rw"}));
  }
  if (in.config.init) {
    mounts.push_back(mount("/dev/init", "bind", in.init_binary.string(), {"bind", "ro"}));
  }
  return mounts;
}

// Docker's device rules: nothing but the nodes /dev holds (and mknod of
// any, which is harmless when opening is refused). Without them a root
// process with CAP_MKNOD could open the host's disks.
json device_rules() {
  auto rule = [](const char *type, int major, int minor) {
    json r = {{"allow", true}, {"type", type}, {"major", major}, {"access", "rwm"}};
    if (minor >= 0) {
      r["minor"] = minor;
    }
    return r;
  };
  json rules = json::array({{{"allow", false}, {"access", "rwm"}},
                            {{"allow", true}, {"type", "c"}, {"access", "m"}},
                            {{"allow", true}, {"type", "b"}, {"access", "m"}}});
  for (const auto &[major, minor] : std::vector<std::pair<int, int>>{
           {1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, -1}, {10, 200}}) {
    rules.push_back(rule("c", major, minor));
  }
  return rules;
}

json resources(const ContainerConfig &config) {
  json resources = {{"devices", device_rules()}};
  if (config.memory > 0) {
    auto swap = config.memory_swap;
    if (swap == 0) {
      swap = config.memory * 2; // Docker: as much swap as memory
    }
    resources["memory"] = {{"limit", config.memory}, {"swap", swap}};
  }
  if (config.cpus > 0) {
    resources["cpu"] = {
        {"quota", static_cast<std::int64_t>(std::llround(config.cpus * kCpuPeriod))},
        {"period", kCpuPeriod}};
  }
  if (config.pids_limit != 0) {
    resources["pids"] = {{"limit", config.pids_limit}};
  }
  return resources;
}

json namespaces(const SpecInputs &in) {
  json list = json::array();
  for (const char *type : {"pid", "ipc", "uts", "mount", "cgroup"}) {
    list.push_back({{"type", type}});
  }
  if (!in.host_network) {
    list.push_back(in.netns.empty() ? json{{"type", "network"}}
                                    : json{{"type", "network"}, {"path", in.netns}});
  }
  return list;
}

const std::vector<std::string> kMaskedPaths = {"/proc/asound",
                                               "/proc/acpi",
                                               "/proc/kcore",
                                               "/proc/keys",
                                               "/proc/latency_stats",
                                               "/proc/timer_list",
                                               "/proc/timer_stats",
                                               "/proc/sched_debug",
                                               "/proc/scsi",
                                               "/sys/firmware",
                                               "/sys/devices/virtual/powercap"};
const std::vector<std::string> kReadonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};

} // namespace

sdk::Result<ProcessUser> resolve_user(const std::filesystem::path &rootfs,
                                      const std::string &user) {
  ProcessUser resolved;
  const auto colon = user.find(':');
  const auto name = user.substr(0, colon);
  const auto group = colon == std::string::npos ? std::string{} : user.substr(colon + 1);
  const auto passwd = database(rootfs, "/etc/passwd");
  bool found = name.empty();
  for (const auto &row : passwd) {
    const bool match = row.size() >= 6 && (row[0] == name || (is_number(name) && row[2] == name) ||
                                           (name.empty() && row[2] == "0"));
    if (match && is_number(row[2]) && is_number(row[3])) {
      resolved.uid = static_cast<uid_t>(std::stoul(row[2]));
      resolved.gid = static_cast<gid_t>(std::stoul(row[3]));
      resolved.home = row[5].empty() ? "/" : row[5];
      found = true;
      break;
    }
  }
  if (!found && is_number(name)) {
    resolved.uid = static_cast<uid_t>(std::stoul(name));
    found = true;
  }
  if (!found) {
    return sdk::make_error(sdk::Errc::not_found,
                           "unable to find user " + name + ": no matching entries in passwd file");
  }
  if (!group.empty()) {
    auto gid = resolve_group(rootfs, group);
    if (!gid.ok()) {
      return std::move(gid).error();
    }
    resolved.gid = *gid;
  }
  for (const auto &row : database(rootfs, "/etc/group")) {
    if (row.size() >= 4 && is_number(row[2])) {
      for (const auto &member : split(row[3], ',')) {
        if (!name.empty() && member == name) {
          resolved.groups.push_back(static_cast<gid_t>(std::stoul(row[2])));
        }
      }
    }
  }
  return resolved;
}

const std::vector<std::string> &default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

std::vector<std::string> effective_capabilities(const ContainerConfig &config) {
  static const std::vector<std::string> all = {"CAP_CHOWN",
                                               "CAP_DAC_OVERRIDE",
                                               "CAP_DAC_READ_SEARCH",
                                               "CAP_FOWNER",
                                               "CAP_FSETID",
                                               "CAP_KILL",
                                               "CAP_SETGID",
                                               "CAP_SETUID",
                                               "CAP_SETPCAP",
                                               "CAP_LINUX_IMMUTABLE",
                                               "CAP_NET_BIND_SERVICE",
                                               "CAP_NET_BROADCAST",
                                               "CAP_NET_ADMIN",
                                               "CAP_NET_RAW",
                                               "CAP_IPC_LOCK",
                                               "CAP_IPC_OWNER",
                                               "CAP_SYS_MODULE",
                                               "CAP_SYS_RAWIO",
                                               "CAP_SYS_CHROOT",
                                               "CAP_SYS_PTRACE",
                                               "CAP_SYS_PACCT",
                                               "CAP_SYS_ADMIN",
                                               "CAP_SYS_BOOT",
                                               "CAP_SYS_NICE",
                                               "CAP_SYS_RESOURCE",
                                               "CAP_SYS_TIME",
                                               "CAP_SYS_TTY_CONFIG",
                                               "CAP_MKNOD",
                                               "CAP_LEASE",
                                               "CAP_AUDIT_WRITE",
                                               "CAP_AUDIT_CONTROL",
                                               "CAP_SETFCAP",
                                               "CAP_MAC_OVERRIDE",
                                               "CAP_MAC_ADMIN",
                                               "CAP_SYSLOG",
                                               "CAP_WAKE_ALARM",
                                               "CAP_BLOCK_SUSPEND",
                                               "CAP_AUDIT_READ",
                                               "CAP_PERFMON",
                                               "CAP_BPF",
                                               "CAP_CHECKPOINT_RESTORE"};
  auto has = [](const std::vector<std::string> &list, const std::string &cap) {
    return std::find(list.begin(), list.end(), cap) != list.end();
  };
  std::vector<std::string> caps =
      has(config.cap_drop, "ALL") ? std::vector<std::string>{} : default_capabilities();
  if (has(config.cap_add, "ALL")) {
    caps = all;
  }
  for (const auto &cap : config.cap_add) {
    if (cap != "ALL" && !has(caps, cap)) {
      caps.push_back(cap);
    }
  }
  std::erase_if(caps, [&](const std::string &cap) { return has(config.cap_drop, cap); });
  return caps;
}

std::vector<std::string> container_args(const ContainerConfig &config, const json &image_config) {
  const auto image = image_config.value("config", json::object());
  auto read_list = [&](const char *key) {
    const auto value = image.value(key, json());
    return value.is_array() ? value.get<std::vector<std::string>>() : std::vector<std::string>{};
  };
  // --entrypoint drops the image's Cmd too, as in Docker.
  auto args = config.entrypoint ? *config.entrypoint : read_list("Entrypoint");
  const auto cmd = !config.cmd.empty() ? config.cmd
                   : config.entrypoint ? std::vector<std::string>{}
                                       : read_list("Cmd");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return args;
}

sdk::Result<json> build_spec(const SpecInputs &in) {
  auto args = container_args(in.config, in.image_config);
  if (args.empty()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "no command specified: the image has no Cmd or Entrypoint; give one "
                           "after the image name");
  }
  if (in.config.init) {
    args.insert(args.begin(), {"/dev/init", "--"});
  }
  auto limits = rlimits(in.config);
  if (!limits.ok()) {
    return std::move(limits).error();
  }
  const auto image = in.image_config.value("config", json::object());
  auto workdir =
      !in.config.workdir.empty() ? in.config.workdir : image.value("WorkingDir", std::string{});
  if (workdir.empty()) {
    workdir = "/";
  }
  const auto caps = effective_capabilities(in.config);
  json process = {
      {"terminal", in.config.tty},
      {"user", {{"uid", in.user.uid}, {"gid", in.user.gid}, {"additionalGids", in.user.groups}}},
      {"args", args},
      {"env", process_env(in)},
      {"cwd", workdir},
      {"capabilities", capabilities_json(caps, in.user.uid == 0)},
      {"rlimits", *limits},
      {"noNewPrivileges", in.config.no_new_privileges},
      {"oomScoreAdj", 0}};
  json linux_section = {{"namespaces", namespaces(in)},
                        {"cgroupsPath", "/berth/" + in.id},
                        {"resources", resources(in.config)},
                        {"maskedPaths", kMaskedPaths},
                        {"readonlyPaths", kReadonlyPaths}};
  if (!in.seccomp.is_null()) {
    linux_section["seccomp"] = in.seccomp;
  }
  return json{{"ociVersion", "1.0.2"},
              {"process", process},
              {"root", {{"path", in.rootfs.string()}, {"readonly", in.config.read_only}}},
              {"hostname", in.hostname},
              {"mounts", user_mounts(in)},
              {"linux", linux_section},
              {"annotations", in.config.labels}};
}

sdk::Result<json> exec_process(const json &spec, const ExecRequest &request,
                               const std::filesystem::path &rootfs) {
  json process = spec.at("process");
  process["args"] = request.args;
  process["terminal"] = request.tty;
  auto env = merge_env(process.value("env", std::vector<std::string>{}), request.env);
  if (request.tty && !has_key(env, "TERM")) {
    env.emplace_back("TERM=xterm");
  }
  process["env"] = env;
  if (!request.workdir.empty()) {
    process["cwd"] = request.workdir;
  }
  if (!request.user.empty()) {
    auto user = resolve_user(rootfs, request.user);
    if (!user.ok()) {
      return std::move(user).error();
    }
    process["user"] = {{"uid", user->uid}, {"gid", user->gid}, {"additionalGids", user->groups}};
    const auto caps = process["capabilities"].value("bounding", std::vector<std::string>{});
    process["capabilities"] = capabilities_json(caps, user->uid == 0);
  }
  return process;
}

} // namespace berth
