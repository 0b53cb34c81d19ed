#include "namespaces/launch_plan.hpp"

#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

namespace berth::runtime {
namespace {

using nlohmann::json;

sdk::Error spec_error(const std::string &path, const std::string &message) {
  return sdk::make_error(sdk::Errc::invalid_argument, message, "config.json: " + path);
}

const std::map<std::string, int> &namespace_types() {
  static const std::map<std::string, int> types = {
      {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
      {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"cgroup", CLONE_NEWCGROUP},
      {"user", CLONE_NEWUSER}, {"time", CLONE_NEWTIME},
  };
  return types;
}

const std::map<std::string, int> &rlimit_types() {
  static const std::map<std::string, int> types = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  return types;
}

sdk::Result<std::vector<int>> capability_values(const json &names, const std::string &path) {
  std::vector<int> values;
  if (names.is_null()) {
    return values;
  }
  if (!names.is_array()) {
    return spec_error(path, "must be a list of capability names");
  }
  for (const auto &name : names) {
    cap_value_t value = 0;
    const auto text = name.is_string() ? name.get<std::string>() : std::string{};
    if (text.empty() || cap_from_name(text.c_str(), &value) != 0) {
      return spec_error(path, "unknown capability '" + name.dump() +
                                  "'; names look like CAP_NET_ADMIN (see capabilities(7))");
    }
    values.push_back(value);
  }
  return values;
}

sdk::Result<CapabilityPlan> capability_plan(const json &caps) {
  CapabilityPlan plan;
  if (caps.is_null()) {
    return plan;
  }
  struct Set {
    const char *key;
    std::vector<int> *into;
  };
  for (auto [key, into] : {Set{"bounding", &plan.bounding}, Set{"effective", &plan.effective},
                           Set{"permitted", &plan.permitted}, Set{"inheritable", &plan.inheritable},
                           Set{"ambient", &plan.ambient}}) {
    auto values =
        capability_values(caps.value(key, json()), std::string("process.capabilities.") + key);
    if (!values.ok()) {
      return std::move(values).error();
    }
    *into = std::move(values).value();
  }
  return plan;
}

sdk::Result<std::vector<RlimitPlan>> rlimit_plan(const json &rlimits) {
  std::vector<RlimitPlan> plan;
  if (rlimits.is_null()) {
    return plan;
  }
  for (const auto &entry : rlimits) {
    const auto type = entry.value("type", std::string{});
    auto found = rlimit_types().find(type);
    if (found == rlimit_types().end()) {
      return spec_error("process.rlimits", "unknown rlimit type '" + type + "'");
    }
    RlimitPlan limit{found->second, entry.value("soft", 0ULL), entry.value("hard", 0ULL)};
    if (limit.soft > limit.hard) {
      return spec_error("process.rlimits", type + ": soft limit " + std::to_string(limit.soft) +
                                               " is above the hard limit " +
                                               std::to_string(limit.hard));
    }
    plan.push_back(limit);
  }
  return plan;
}

unsigned long propagation_flag(const std::string &name) {
  static const std::map<std::string, unsigned long> flags = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  auto found = flags.find(name);
  return found == flags.end() ? 0 : found->second;
}

sdk::Result<std::vector<MountPlan>> mount_plan(const json &mounts) {
  std::vector<MountPlan> plan;
  if (mounts.is_null()) {
    return plan;
  }
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    const auto &entry = mounts[i];
    const auto where = "mounts[" + std::to_string(i) + "]";
    MountPlan mount;
    mount.target = entry.value("destination", std::string{});
    if (mount.target.empty() || mount.target.front() != '/') {
      return spec_error(where + ".destination", "must be an absolute path inside the container");
    }
    mount.source = entry.value("source", std::string{});
    mount.type = entry.value("type", std::string{});
    parse_mount_options(entry.value("options", std::vector<std::string>{}), mount);
    if (mount.type == "bind") {
      mount.bind = true;
    }
    if (mount.bind && (mount.source.empty() || mount.source.front() != '/')) {
      return spec_error(where + ".source", "a bind mount needs an absolute host path");
    }
    plan.push_back(std::move(mount));
  }
  return plan;
}

sdk::Result<std::vector<DevicePlan>> device_plan(const json &devices) {
  std::vector<DevicePlan> plan;
  if (devices.is_null()) {
    return plan;
  }
  for (const auto &entry : devices) {
    DevicePlan device;
    device.path = entry.value("path", std::string{});
    const auto type = entry.value("type", std::string{"c"});
    device.type = type == "b" ? S_IFBLK : S_IFCHR;
    if (device.path.empty() || (type != "b" && type != "c" && type != "u")) {
      return spec_error("linux.devices", "each device needs a path and type b, c or u");
    }
    device.major = entry.value("major", 0U);
    device.minor = entry.value("minor", 0U);
    device.mode = entry.value("fileMode", 0666U);
    device.uid = entry.value("uid", 0U);
    device.gid = entry.value("gid", 0U);
    plan.push_back(std::move(device));
  }
  return plan;
}

// Docker's and runc's minimal /dev: always present whatever the spec lists.
std::vector<DevicePlan> default_devices() {
  return {
      {"/dev/null", S_IFCHR, 1, 3},   {"/dev/zero", S_IFCHR, 1, 5},    {"/dev/full", S_IFCHR, 1, 7},
      {"/dev/random", S_IFCHR, 1, 8}, {"/dev/urandom", S_IFCHR, 1, 9}, {"/dev/tty", S_IFCHR, 5, 0},
  };
}

sdk::Result<void> namespace_plan(const json &namespaces, InitPlan &plan) {
  if (!namespaces.is_array()) {
    return spec_error("linux.namespaces", "must be a list");
  }
  for (const auto &entry : namespaces) {
    const auto type = entry.value("type", std::string{});
    auto found = namespace_types().find(type);
    if (found == namespace_types().end()) {
      return spec_error("linux.namespaces", "unknown namespace type '" + type + "'");
    }
    if (found->second == CLONE_NEWUSER || found->second == CLONE_NEWTIME) {
      return sdk::make_error(sdk::Errc::unsupported,
                             "the namespaces backend does not create " + type +
                                 " namespaces yet; drop it from linux.namespaces",
                             "config.json: linux.namespaces");
    }
    const auto path = entry.value("path", std::string{});
    if (!path.empty()) {
      plan.join.emplace_back(found->second, path);
    } else if (found->second == CLONE_NEWCGROUP) {
      plan.new_cgroup_namespace = true;
    } else {
      plan.clone_flags |= found->second;
    }
  }
  return {};
}

std::vector<std::string> string_list(const json &object, const char *key) {
  return object.value(key, std::vector<std::string>{});
}

} // namespace

void parse_mount_options(const std::vector<std::string> &options, MountPlan &mount) {
  static const std::map<std::string, std::pair<bool, unsigned long>> flags = {
      {"ro", {true, MS_RDONLY}},
      {"rw", {false, MS_RDONLY}},
      {"nosuid", {true, MS_NOSUID}},
      {"suid", {false, MS_NOSUID}},
      {"nodev", {true, MS_NODEV}},
      {"dev", {false, MS_NODEV}},
      {"noexec", {true, MS_NOEXEC}},
      {"exec", {false, MS_NOEXEC}},
      {"sync", {true, MS_SYNCHRONOUS}},
      {"async", {false, MS_SYNCHRONOUS}},
      {"dirsync", {true, MS_DIRSYNC}},
      {"remount", {true, MS_REMOUNT}},
      {"mand", {true, MS_MANDLOCK}},
      {"nomand", {false, MS_MANDLOCK}},
      {"atime", {false, MS_NOATIME}},
      {"noatime", {true, MS_NOATIME}},
      {"diratime", {false, MS_NODIRATIME}},
      {"nodiratime", {true, MS_NODIRATIME}},
      {"relatime", {true, MS_RELATIME}},
      {"norelatime", {false, MS_RELATIME}},
      {"strictatime", {true, MS_STRICTATIME}},
  };
  for (const auto &option : options) {
    if (option == "bind" || option == "rbind") {
      mount.bind = true;
      mount.recursive = mount.recursive || option == "rbind";
    } else if (auto propagation = propagation_flag(option); propagation != 0) {
      mount.propagation = propagation;
    } else if (auto found = flags.find(option); found != flags.end()) {
      if (found->second.first) {
        mount.flags |= found->second.second;
      } else {
        mount.flags &= ~found->second.second;
      }
    } else {
      mount.data += (mount.data.empty() ? "" : ",") + option;
    }
  }
}

sdk::Result<ProcessPlan> make_process_plan(const json &process) {
  if (!process.is_object()) {
    return spec_error("process", "must be an object");
  }
  ProcessPlan plan;
  plan.args = string_list(process, "args");
  if (plan.args.empty() || plan.args.front().empty()) {
    return spec_error("process.args", "name the program to run");
  }
  plan.env = string_list(process, "env");
  plan.cwd = process.value("cwd", std::string{"/"});
  if (plan.cwd.empty() || plan.cwd.front() != '/') {
    return spec_error("process.cwd", "must be an absolute path");
  }
  const auto user = process.value("user", json::object());
  plan.uid = user.value("uid", 0U);
  plan.gid = user.value("gid", 0U);
  plan.groups = user.value("additionalGids", std::vector<gid_t>{});
  plan.set_capabilities = process.contains("capabilities") && !process["capabilities"].is_null();
  auto caps = capability_plan(process.value("capabilities", json()));
  if (!caps.ok()) {
    return std::move(caps).error();
  }
  plan.capabilities = std::move(caps).value();
  auto rlimits = rlimit_plan(process.value("rlimits", json()));
  if (!rlimits.ok()) {
    return std::move(rlimits).error();
  }
  plan.rlimits = std::move(rlimits).value();
  plan.no_new_privileges = process.value("noNewPrivileges", false);
  plan.terminal = process.value("terminal", false);
  if (process.contains("oomScoreAdj")) {
    plan.oom_score_adj = process["oomScoreAdj"].get<int>();
  }
  return plan;
}

sdk::Result<InitPlan> make_init_plan(const json &spec, const std::string &bundle) {
  try {
    InitPlan plan;
    const auto root = spec.value("root", json::object());
    plan.rootfs = root.value("path", std::string{"rootfs"});
    if (plan.rootfs.front() != '/') {
      plan.rootfs = bundle + "/" + plan.rootfs;
    }
    plan.readonly_root = root.value("readonly", false);
    plan.hostname = spec.value("hostname", std::string{});
    auto process = make_process_plan(spec.value("process", json()));
    if (!process.ok()) {
      return std::move(process).error();
    }
    plan.process = std::move(process).value();
    auto mounts = mount_plan(spec.value("mounts", json()));
    if (!mounts.ok()) {
      return std::move(mounts).error();
    }
    plan.mounts = std::move(mounts).value();
    const auto linux_section = spec.value("linux", json::object());
    if (auto done = namespace_plan(linux_section.value("namespaces", json::array()), plan);
        !done.ok()) {
      return std::move(done).error();
    }
    if ((plan.clone_flags & CLONE_NEWNS) == 0) {
      return spec_error("linux.namespaces", "a container needs its own mount namespace");
    }
    auto devices = device_plan(linux_section.value("devices", json()));
    if (!devices.ok()) {
      return std::move(devices).error();
    }
    plan.devices = default_devices();
    for (auto &device : devices.value()) {
      plan.devices.push_back(std::move(device));
    }
    plan.masked_paths = string_list(linux_section, "maskedPaths");
    plan.readonly_paths = string_list(linux_section, "readonlyPaths");
    const auto sysctl = linux_section.value("sysctl", json::object());
    for (const auto &[key, value] : sysctl.items()) {
      plan.sysctl.emplace_back(key, value.get<std::string>());
    }
    plan.root_propagation =
        propagation_flag(linux_section.value("rootfsPropagation", std::string{"rprivate"}));
    plan.process.seccomp = linux_section.value("seccomp", json());
    return plan;
  } catch (const json::exception &e) {
    return spec_error("(document)", e.what());
  }
}

} // namespace berth::runtime
