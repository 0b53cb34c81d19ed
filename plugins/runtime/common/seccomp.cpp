#include "common/seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::runtime {
namespace {

using nlohmann::json;

constexpr const char *kContext = "linux.seccomp";

struct FilterRelease {
  void operator()(void *filter) const noexcept { seccomp_release(filter); }
};
using Filter = std::unique_ptr<void, FilterRelease>;

sdk::Error invalid(const std::string &where, const std::string &what) {
  return sdk::make_error(sdk::Errc::invalid_argument, where.empty() ? what : where + ": " + what,
                         kContext);
}

// libseccomp returns -errno.
sdk::Error libseccomp_error(const char *call, const std::string &about, int rc) {
  auto error = sdk::errno_error(call, kContext, -rc);
  error.message = about + ": " + error.message;
  return error;
}

// A rule or architecture libseccomp refuses is the profile's fault (a
// conflict, a bad value), or the kernel's when it lacks the action.
sdk::Error refused_by_libseccomp(const char *call, const std::string &about, int rc) {
  auto error = libseccomp_error(call, about, rc);
  error.code = rc == -EOPNOTSUPP ? sdk::Errc::unsupported : sdk::Errc::invalid_argument;
  return error;
}

// Parsed JSON holds non-negative numbers as unsigned, JSON built in C++
// often as signed: both count.
std::optional<std::uint64_t> non_negative_integer(const json &value) {
  if (value.is_number_unsigned()) {
    return value.get<std::uint64_t>();
  }
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  return std::nullopt;
}

// errnoRet, or EPERM as the spec says when it is absent.
sdk::Result<std::uint16_t> errno_value(const json *value, const std::string &where) {
  constexpr std::uint64_t kMaxErrno = 4095; // what the kernel treats as an error return
  if (value == nullptr || value->is_null()) {
    return static_cast<std::uint16_t>(EPERM);
  }
  const auto number = non_negative_integer(*value);
  if (!number || *number > kMaxErrno) {
    return invalid(where, "errnoRet must be an errno number from 0 to 4095");
  }
  return static_cast<std::uint16_t>(*number);
}

sdk::Result<std::uint32_t> action_of(const json &name, const json *errno_ret,
                                     const std::string &where) {
  const auto text = name.is_string() ? name.get<std::string>() : name.dump();
  if (text == "SCMP_ACT_ERRNO" || text == "SCMP_ACT_TRACE") {
    auto value = errno_value(errno_ret, where);
    if (!value) {
      return std::move(value).error();
    }
    return text == "SCMP_ACT_ERRNO" ? SCMP_ACT_ERRNO(*value) : SCMP_ACT_TRACE(*value);
  }
  if (errno_ret != nullptr && !errno_ret->is_null()) {
    return invalid(where,
                   "errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " + text);
  }
  static constexpr std::array<std::pair<std::string_view, std::uint32_t>, 6> kActions = {{
      {"SCMP_ACT_KILL", SCMP_ACT_KILL},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
      {"SCMP_ACT_LOG", SCMP_ACT_LOG},
  }};
  for (const auto &[known, action] : kActions) {
    if (text == known) {
      return action;
    }
  }
  if (text == "SCMP_ACT_NOTIFY") {
    return sdk::make_error(sdk::Errc::unsupported,
                           where + ": SCMP_ACT_NOTIFY needs a seccomp agent, which berth does not "
                                   "run; use SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
                           kContext);
  }
  return invalid(where, "unknown action " + name.dump());
}

sdk::Result<scmp_compare> operator_of(const json &name, const std::string &where) {
  static constexpr std::array<std::pair<std::string_view, scmp_compare>, 7> kOperators = {{
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  }};
  if (name.is_string()) {
    for (const auto &[known, op] : kOperators) {
      if (name.get<std::string>() == known) {
        return op;
      }
    }
  }
  return invalid(where, "unknown op " + name.dump());
}

// "SCMP_ARCH_X86_64" is libseccomp's "x86_64".
sdk::Result<std::uint32_t> arch_of(const json &name, const std::string &where) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  const auto text = name.is_string() ? name.get<std::string>() : std::string();
  std::uint32_t arch = 0;
  if (text.rfind(kPrefix, 0) == 0) {
    auto short_name = text.substr(kPrefix.size());
    std::transform(short_name.begin(), short_name.end(), short_name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    arch = seccomp_arch_resolve_name(short_name.c_str());
  }
  if (arch == 0) {
    return invalid(where, "unknown architecture " + name.dump());
  }
  return arch;
}

sdk::Result<void> add_architectures(scmp_filter_ctx filter, const json &seccomp) {
  const auto found = seccomp.find("architectures");
  if (found == seccomp.end() || found->is_null()) {
    return {};
  }
  if (!found->is_array()) {
    return invalid("architectures", "must be a list of SCMP_ARCH_* names");
  }
  for (const auto &name : *found) {
    auto arch = arch_of(name, "architectures");
    if (!arch) {
      return std::move(arch).error();
    }
    // The native architecture is in every new filter already.
    if (const int rc = seccomp_arch_add(filter, *arch); rc < 0 && rc != -EEXIST) {
      return refused_by_libseccomp("seccomp_arch_add", name.dump(), rc);
    }
  }
  return {};
}

sdk::Result<void> apply_flags(scmp_filter_ctx filter, const json &seccomp) {
  const auto found = seccomp.find("flags");
  if (found == seccomp.end() || found->is_null()) {
    return {};
  }
  if (!found->is_array()) {
    return invalid("flags", "must be a list of SECCOMP_FILTER_FLAG_* names");
  }
  for (const auto &flag : *found) {
    const auto name = flag.is_string() ? flag.get<std::string>() : flag.dump();
    scmp_filter_attr attr{};
    if (name == "SECCOMP_FILTER_FLAG_TSYNC") {
      attr = SCMP_FLTATR_CTL_TSYNC;
    } else if (name == "SECCOMP_FILTER_FLAG_LOG") {
      attr = SCMP_FLTATR_CTL_LOG;
    } else if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      attr = SCMP_FLTATR_CTL_SSB;
    } else {
      return sdk::make_error(sdk::Errc::unsupported,
                             "flags: " + name +
                                 " is not supported; berth knows SECCOMP_FILTER_FLAG_TSYNC, "
                                 "SECCOMP_FILTER_FLAG_LOG and SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                             kContext);
    }
    if (const int rc = seccomp_attr_set(filter, attr, 1); rc < 0) {
      return refused_by_libseccomp("seccomp_attr_set", "flags: " + name, rc);
    }
  }
  return {};
}

sdk::Result<std::vector<scmp_arg_cmp>> conditions_of(const json &rule, const std::string &where) {
  constexpr std::uint64_t kSyscallArgs = 6;
  std::vector<scmp_arg_cmp> conditions;
  const auto found = rule.find("args");
  if (found == rule.end() || found->is_null()) {
    return conditions;
  }
  if (!found->is_array()) {
    return invalid(where, "args must be a list of {index, value, op}");
  }
  for (const auto &arg : *found) {
    const auto at = where + ".args[" + std::to_string(conditions.size()) + "]";
    if (!arg.is_object()) {
      return invalid(at, "an argument is an object {index, value, op}");
    }
    const auto index = non_negative_integer(arg.value("index", json()));
    const auto value = non_negative_integer(arg.value("value", json(0U)));
    const auto value_two = non_negative_integer(arg.value("valueTwo", json(0U)));
    if (!index || *index >= kSyscallArgs) {
      return invalid(at, "index must be 0 to 5");
    }
    if (!value || !value_two) {
      return invalid(at, "value and valueTwo must be non-negative integers");
    }
    auto op = operator_of(arg.value("op", json()), at);
    if (!op) {
      return std::move(op).error();
    }
    conditions.push_back(scmp_arg_cmp{static_cast<unsigned>(*index), *op, *value, *value_two});
  }
  return conditions;
}

bool compares_an_argument_twice(const std::vector<scmp_arg_cmp> &conditions) {
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    for (std::size_t j = i + 1; j < conditions.size(); ++j) {
      if (conditions[i].arg == conditions[j].arg) {
        return true;
      }
    }
  }
  return false;
}

sdk::Result<void> add_syscall(scmp_filter_ctx filter, const std::string &name, std::uint32_t action,
                              const std::vector<scmp_arg_cmp> &conditions,
                              const std::string &where) {
  const int syscall = seccomp_syscall_resolve_name(name.c_str());
  if (syscall == __NR_SCMP_ERROR) {
    return {}; // unknown to this libseccomp: runc skips it too
  }
  const auto add = [&](unsigned count, const scmp_arg_cmp *args) -> sdk::Result<void> {
    if (const int rc = seccomp_rule_add_array(filter, action, syscall, count, args); rc < 0) {
      return refused_by_libseccomp("seccomp_rule_add", where + " '" + name + "'", rc);
    }
    return {};
  };
  if (!compares_an_argument_twice(conditions)) {
    return add(static_cast<unsigned>(conditions.size()), conditions.data());
  }
  for (const auto &condition : conditions) {
    if (auto added = add(1, &condition); !added) {
      return added;
    }
  }
  return {};
}

sdk::Result<void> add_rule(scmp_filter_ctx filter, std::uint32_t default_action, const json &rule,
                           const std::string &where) {
  if (!rule.is_object()) {
    return invalid(where, "a rule is an object with names and action");
  }
  const auto names = rule.find("names");
  if (names == rule.end() || !names->is_array()) {
    return invalid(where, "needs names, a list of syscall names");
  }
  const auto errno_ret = rule.find("errnoRet");
  auto action = action_of(rule.value("action", json()),
                          errno_ret == rule.end() ? nullptr : &*errno_ret, where);
  if (!action) {
    return std::move(action).error();
  }
  auto conditions = conditions_of(rule, where);
  if (!conditions) {
    return std::move(conditions).error();
  }
  for (const auto &name : *names) {
    if (!name.is_string()) {
      return invalid(where, "names must be a list of syscall names");
    }
    if (*action == default_action) {
      continue;
    }
    if (auto added = add_syscall(filter, name.get<std::string>(), *action, *conditions, where);
        !added) {
      return added;
    }
  }
  return {};
}

sdk::Result<void> add_rules(scmp_filter_ctx filter, std::uint32_t default_action,
                            const json &seccomp) {
  const auto found = seccomp.find("syscalls");
  if (found == seccomp.end() || found->is_null()) {
    return {};
  }
  if (!found->is_array()) {
    return invalid("syscalls", "must be a list of rules");
  }
  for (std::size_t i = 0; i < found->size(); ++i) {
    if (auto added =
            add_rule(filter, default_action, (*found)[i], "syscalls[" + std::to_string(i) + "]");
        !added) {
      return added;
    }
  }
  return {};
}

// The whole filter, ready for seccomp_load; a null filter for a null spec.
sdk::Result<Filter> build_filter(const json &seccomp) {
  if (seccomp.is_null()) {
    return Filter{};
  }
  if (!seccomp.is_object()) {
    return invalid("", "must be an object with defaultAction and syscalls");
  }
  const auto errno_ret = seccomp.find("defaultErrnoRet");
  auto default_action =
      action_of(seccomp.value("defaultAction", json()),
                errno_ret == seccomp.end() ? nullptr : &*errno_ret, "defaultAction");
  if (!default_action) {
    return std::move(default_action).error();
  }
  Filter filter(seccomp_init(*default_action));
  if (!filter) {
    return sdk::make_error(sdk::Errc::internal, "seccomp_init failed (out of memory?)", kContext);
  }
  // no_new_privs is the spec's process.noNewPrivileges to decide, not ours.
  seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_NNP, 0);
  // Kernel errors as they are, rather than libseccomp's ECANCELED.
  seccomp_attr_set(filter.get(), SCMP_FLTATR_API_SYSRAWRC, 1);
  if (auto done = add_architectures(filter.get(), seccomp); !done) {
    return std::move(done).error();
  }
  if (auto done = apply_flags(filter.get(), seccomp); !done) {
    return std::move(done).error();
  }
  if (auto done = add_rules(filter.get(), *default_action, seccomp); !done) {
    return std::move(done).error();
  }
  return filter;
}

sdk::Error unexpected(const std::exception &e) {
  return sdk::make_error(sdk::Errc::internal, e.what(), kContext);
}

} // namespace

namespace {

unsigned int filter_flags(const json &seccomp) {
  unsigned int flags = 0;
  const auto found = seccomp.find("flags");
  if (found == seccomp.end() || !found->is_array()) {
    return flags;
  }
  for (const auto &flag : *found) {
    const auto name = flag.is_string() ? flag.get<std::string>() : std::string{};
    if (name == "SECCOMP_FILTER_FLAG_TSYNC") {
      flags |= SECCOMP_FILTER_FLAG_TSYNC;
    } else if (name == "SECCOMP_FILTER_FLAG_LOG") {
      flags |= SECCOMP_FILTER_FLAG_LOG;
    } else if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    }
  }
  return flags;
}

} // namespace

sdk::Result<SeccompProgram> compile_seccomp(const nlohmann::json &seccomp) noexcept {
  try {
    auto filter = build_filter(seccomp);
    if (!filter) {
      return std::move(filter).error();
    }
    SeccompProgram program;
    if (!*filter) {
      return program;
    }
    // libseccomp writes the program to an fd; a memfd keeps it in memory.
    const int fd = ::memfd_create("berth-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
      return sdk::errno_error("memfd_create", kContext);
    }
    const int rc = seccomp_export_bpf(filter->get(), fd);
    const auto size = ::lseek(fd, 0, SEEK_END);
    if (rc < 0 || size < 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
      ::close(fd);
      return libseccomp_error("seccomp_export_bpf", "compiling the filter", rc < 0 ? rc : -EIO);
    }
    program.instructions.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
    const auto read = ::pread(fd, program.instructions.data(), static_cast<std::size_t>(size), 0);
    ::close(fd);
    if (read != size) {
      return sdk::errno_error("read", "compiled seccomp filter");
    }
    program.flags = filter_flags(seccomp);
    return program;
  } catch (const std::exception &e) {
    return unexpected(e);
  }
}

sdk::Result<void> install_seccomp(const SeccompProgram &program) noexcept {
  if (program.instructions.empty()) {
    return {};
  }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.instructions.size());
  prog.filter = const_cast<sock_filter *>(program.instructions.data());
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog) < 0) {
    if (errno == EACCES) {
      return sdk::make_error(sdk::Errc::permission,
                             "seccomp: Permission denied; a filter needs no_new_privs "
                             "(process.noNewPrivileges) or CAP_SYS_ADMIN",
                             kContext);
    }
    return sdk::errno_error("seccomp", kContext);
  }
  return {};
}

} // namespace berth::runtime
