#include "oci/oci_backend.hpp"

#include "common/cgroup.hpp"
#include "oci/runtime_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;

constexpr auto kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The last error a runtime logged: with --log-format json, runc and crun
// both write one JSON object per line.
std::string last_logged_error(const fs::path &log) {
  std::ifstream in(log);
  std::string line, message;
  while (std::getline(in, line)) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object()) {
      continue;
    }
    const auto level = entry.value("level", std::string{});
    if (level == "error" || level == "fatal") {
      message = entry.value("msg", std::string{});
    }
  }
  return message;
}

std::string last_line(const std::string &text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      last = line;
    }
  }
  return last;
}

std::string first_line(const std::string &text) {
  return text.substr(0, text.find('\n'));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

sdk::Errc classify(const std::string &message) {
  const auto text = lower(message);
  const auto has = [&](std::string_view part) { return text.find(part) != std::string::npos; };
  if (has("not found") || has("no such file or directory") || has("does not exist")) {
    return sdk::Errc::not_found;
  }
  if (has("permission denied") || has("operation not permitted")) {
    return sdk::Errc::permission;
  }
  if (has("already exists") || has("id exists")) {
    return sdk::Errc::already_exists;
  }
  return sdk::Errc::io;
}

std::string hint(sdk::Errc code, const std::string &command) {
  if (command != "create" && command != "exec") {
    return {};
  }
  switch (code) {
  case sdk::Errc::not_found: return "; check the process args and the PATH in its env";
  case sdk::Errc::permission:
    return "; check that the file is executable and not on a noexec mount";
  default: return {};
  }
}

// The runtime's failure as one line: "crun create: <its message>; <hint>".
sdk::Error runtime_failure(const std::string &name, const std::string &command,
                           const std::string &id, std::string message) {
  // Debian's crun 1.8.1 refuses a hybrid host unless every controller it
  // uses is on a v1 hierarchy; hugetlb is the one left on v2 here.
  if (message.find("cgroups in hybrid mode not supported") != std::string::npos) {
    return sdk::make_error(
        sdk::Errc::unavailable,
        name + " " + command +
            ": cgroups in hybrid mode not supported; bind hugetlb to cgroup v1 with `mkdir -p "
            "/sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup "
            "/sys/fs/cgroup/hugetlb`, or set `binary: runc`",
        id);
  }
  // runc says "runc create failed: ..."; we name the command ourselves.
  const auto redundant = name + " " + command + " failed: ";
  if (message.starts_with(redundant)) {
    message.erase(0, redundant.size());
  }
  std::replace(message.begin(), message.end(), '\n', ' '); // errors are one line
  auto code = classify(message);
  // Only a process that cannot be executed is the caller's (exit 127/126);
  // both runtimes say so ("exec:", "executable"). A cgroup or mount the
  // runtime cannot find is the engine's failure.
  if ((code == sdk::Errc::not_found || code == sdk::Errc::permission) &&
      (command == "create" || command == "exec") &&
      lower(message).find("exec") == std::string::npos) {
    code = sdk::Errc::io;
  }
  return sdk::make_error(code, name + " " + command + ": " + message + hint(code, command), id);
}

sdk::Result<int> read_pid(const fs::path &file) {
  std::ifstream in(file);
  int pid = 0;
  if (!(in >> pid) || pid <= 0) {
    return sdk::make_error(sdk::Errc::io, "the runtime wrote no pid", file.string());
  }
  return pid;
}

sdk::Result<void> write_file(const fs::path &file, const std::string &text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return sdk::make_error(sdk::Errc::io, "cannot write", file.string());
  }
  return {};
}

std::optional<sdk::ContainerStatus> parse_status(const std::string &status) {
  if (status == "creating") {
    return sdk::ContainerStatus::creating;
  }
  if (status == "created") {
    return sdk::ContainerStatus::created;
  }
  // A paused container's processes still exist, frozen.
  if (status == "running" || status == "paused") {
    return sdk::ContainerStatus::running;
  }
  if (status == "stopped") {
    return sdk::ContainerStatus::stopped;
  }
  return std::nullopt;
}

// The cgroup pid lives in, relative to the hierarchies' roots: the memory
// controller's on v1, the unified one's on v2. This is where the runtime
// really put it, whatever its default for a spec without cgroupsPath.
std::optional<std::string> cgroup_of_process(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  std::optional<std::string> unified;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    const auto controllers = "," + line.substr(first + 1, second - first - 1) + ",";
    auto path = line.substr(second + 1);
    if (controllers.find(",memory,") != std::string::npos) {
      return path;
    }
    if (line.starts_with("0::")) {
      unified = std::move(path);
    }
  }
  return unified;
}

bool valid_id(const std::string &id) {
  // runc's rule (^[\w+-\.]+$); it also keeps ids safe as file and key names.
  return !id.empty() && id != "." && id != ".." &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '_' || c == '+' || c == '-' || c == '.';
         });
}

sdk::Result<void> check_request(const std::string &id, const nlohmann::json &process,
                                const sdk::ProcessIo &io) {
  if (!valid_id(id)) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "invalid container id; use letters, digits and _ + - . only", id);
  }
  if (process.is_object() && process.value("terminal", false) && io.console_socket.empty()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "process.terminal is true but no console socket was given; pass "
                           "ProcessIo::console_socket or set terminal to false",
                           id);
  }
  return {};
}

sdk::Result<fs::path> find_binary(const std::string &name) {
  if (name.find('/') != std::string::npos) {
    if (fs::path(name).is_relative()) {
      return sdk::make_error(
          sdk::Errc::invalid_argument,
          "'" + name + "' is relative; give a name from PATH or an absolute path", "oci: binary");
    }
    if (::access(name.c_str(), X_OK) != 0) {
      return sdk::make_error(sdk::Errc::unavailable,
                             name + " is not an executable file (" + std::strerror(errno) +
                                 "); install the runtime or set binary: to crun or runc",
                             "oci: binary");
    }
    return fs::path(name);
  }
  const char *env = std::getenv("PATH");
  std::istringstream dirs(env != nullptr ? env : kDefaultPath);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = fs::path(dir) / name;
    std::error_code ec;
    if (!dir.empty() && fs::is_regular_file(candidate, ec) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return sdk::make_error(sdk::Errc::unavailable,
                         "no '" + name +
                             "' in PATH; install it, or set binary: to an absolute path "
                             "or to another runtime (crun, runc)",
                         "oci: binary");
}

std::string record_key(const std::string &id) {
  return "containers/" + id;
}

// Interface methods are noexcept: whatever a library throws becomes a value.
template <class Body> auto guarded(const std::string &id, Body &&body) noexcept {
  using Out = decltype(body());
  try {
    return body();
  } catch (const std::exception &e) {
    return Out(sdk::make_error(sdk::Errc::internal, e.what(), id));
  } catch (...) {
    return Out(sdk::make_error(sdk::Errc::internal, "unknown exception", id));
  }
}

} // namespace

sdk::Result<std::unique_ptr<OciBackend>> OciBackend::create(sdk::HostServices &host,
                                                            const nlohmann::json &options) {
  auto binary = find_binary(options.value("binary", std::string("crun")));
  if (!binary.ok()) {
    return std::move(binary).error();
  }
  auto state = host.state_dir();
  if (!state.ok()) {
    return std::move(state).error();
  }
  const auto root_option = options.value("root", std::string{});
  if (!root_option.empty() && fs::path(root_option).is_relative()) {
    return sdk::make_error(
        sdk::Errc::invalid_argument,
        "'" + root_option + "' is relative; give an absolute path or leave it empty", "oci: root");
  }
  const auto root = root_option.empty() ? *state / binary->filename() : fs::path(root_option);
  const auto scratch = *state / "scratch";
  for (const auto &dir : {root, scratch}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return sdk::errno_error("mkdir", dir.string(), ec.value());
    }
  }
  return std::make_unique<OciBackend>(host, std::move(binary).value(), root, scratch);
}

OciBackend::OciBackend(sdk::HostServices &host, fs::path binary, fs::path root, fs::path scratch)
    : host_(host), binary_(std::move(binary)), name_(binary_.filename().string()),
      root_(std::move(root)), scratch_(std::move(scratch)) {}

sdk::Result<std::string> OciBackend::run(const fs::path &scratch,
                                         const std::vector<std::string> &args,
                                         const sdk::ProcessIo *io, const std::string &id) {
  const auto log = scratch / "log";
  std::vector<std::string> argv{binary_.string(), "--root",       root_.string(), "--log",
                                log.string(),     "--log-format", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto finished = run_command(argv, io);
  if (!finished.ok()) {
    auto error = std::move(finished).error();
    return sdk::make_error(
        error.code, name_ + " " + args.front() + ": " + error.message + " (" + error.context + ")",
        id);
  }
  if (finished->status == 0) {
    return std::move(finished->out);
  }
  auto message = last_logged_error(log);
  if (message.empty()) {
    message = last_line(finished->err);
  }
  if (message.empty() && finished->status == 127) {
    message = "could not run " + binary_.string() + "; is it still installed?";
  } else if (message.empty()) {
    message = "exited with status " + std::to_string(finished->status);
  }
  return runtime_failure(name_, args.front(), id, std::move(message));
}

sdk::Result<sdk::ContainerState> OciBackend::query_state(const std::string &id) {
  auto scratch = ScratchDir::make(scratch_);
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  auto out = run(scratch->path(), {"state", id}, nullptr, id);
  if (!out.ok()) {
    return std::move(out).error();
  }
  const auto document = nlohmann::json::parse(*out, nullptr, false);
  const auto status =
      document.is_object() ? parse_status(document.value("status", std::string{})) : std::nullopt;
  if (!status) {
    return sdk::make_error(sdk::Errc::io, name_ + " state: unreadable output: " + last_line(*out),
                           id);
  }
  sdk::ContainerState state;
  state.id = id;
  state.status = *status;
  // crun still reports the old pid of a stopped container; the SDK says 0.
  state.pid = *status == sdk::ContainerStatus::stopped ? 0 : document.value("pid", 0);
  state.bundle = document.value("bundle", std::string{});
  return state;
}

void OciBackend::force_delete(const std::string &id) {
  auto scratch = ScratchDir::make(scratch_);
  if (!scratch.ok()) {
    return;
  }
  if (auto deleted = run(scratch->path(), {"delete", "--force", id}, nullptr, id); !deleted.ok()) {
    host_.logger().warn("cleanup after a failed command: " + deleted.error().describe());
  }
}

std::optional<OciBackend::Record> OciBackend::load_record(const std::string &id) {
  auto text = host_.kv().get(record_key(id));
  if (!text.ok() || !text->has_value()) {
    return std::nullopt;
  }
  const auto document = nlohmann::json::parse(**text, nullptr, false);
  if (!document.is_object()) {
    return std::nullopt;
  }
  return Record{document.value("bundle", std::string{}), document.value("cgroup", std::string{})};
}

sdk::Result<void> OciBackend::save_record(const std::string &id, const Record &record) {
  const nlohmann::json document = {{"bundle", record.bundle}, {"cgroup", record.cgroup}};
  return host_.kv().put(record_key(id), document.dump());
}

std::optional<std::string> OciBackend::cgroup_of(const std::string &id, int pid) {
  if (auto record = load_record(id); record && !record->cgroup.empty()) {
    return record->cgroup;
  }
  return pid > 0 ? cgroup_of_process(pid) : std::nullopt;
}

sdk::Result<sdk::ContainerState> OciBackend::create_container(const std::string &id,
                                                              const std::string &bundle,
                                                              const nlohmann::json &spec,
                                                              const sdk::ProcessIo &io) {
  if (auto bad = check_request(id, spec.value("process", nlohmann::json{}), io); !bad.ok()) {
    return std::move(bad).error();
  }
  // Checked first because the clean-up after a failed create is a forced
  // delete, which must never hit the container already there. runc and crun
  // both keep a container's state in <root>/<id>: a stat, not a command.
  if (fs::exists(root_ / id)) {
    return sdk::make_error(sdk::Errc::already_exists,
                           name_ + " already has a container with this id in " + root_.string() +
                               "; remove it first or choose another id",
                           id);
  }
  auto scratch = ScratchDir::make(scratch_);
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  const auto bundle_path = fs::absolute(bundle).string();
  const auto pid_file = scratch->path() / "pid";
  std::vector<std::string> args{"create", "--bundle", bundle_path, "--pid-file", pid_file};
  if (!io.console_socket.empty()) {
    args.insert(args.end(), {"--console-socket", io.console_socket});
  }
  args.push_back(id);
  // The runtime makes the container's cgroup under "/berth", which another
  // container's removal must not take away meanwhile.
  auto created = [&] {
    const auto parents_held = hold_cgroup_parents();
    return run(scratch->path(), args, &io, id);
  }();
  auto pid = created.ok() ? read_pid(pid_file) : sdk::Result<int>(std::move(created).error());
  if (!pid.ok()) {
    if (pid.error().code != sdk::Errc::already_exists) {
      force_delete(id);
      // A create that failed half way (crun, at a cgroup it could not
      // make) leaves the cgroups it made before, which delete does not know.
      (void)Cgroup::open(cgroup_path_from_spec(spec, id)).destroy();
    }
    return std::move(pid).error();
  }
  const Record record{bundle_path,
                      cgroup_of_process(*pid).value_or(cgroup_path_from_spec(spec, id))};
  if (auto saved = save_record(id, record); !saved.ok()) {
    force_delete(id);
    return std::move(saved).error();
  }
  return sdk::ContainerState{id, sdk::ContainerStatus::created, *pid, false, bundle_path};
}

sdk::Result<sdk::ContainerState> OciBackend::create(const std::string &id,
                                                    const std::string &bundle,
                                                    const nlohmann::json &spec,
                                                    const sdk::ProcessIo &io) noexcept {
  return guarded(id, [&] { return create_container(id, bundle, spec, io); });
}

sdk::Result<void> OciBackend::start(const std::string &id) noexcept {
  return guarded(id, [&]() -> sdk::Result<void> {
    auto scratch = ScratchDir::make(scratch_);
    if (!scratch.ok()) {
      return std::move(scratch).error();
    }
    auto started = run(scratch->path(), {"start", id}, nullptr, id);
    return started.ok() ? sdk::Result<void>() : std::move(started).error();
  });
}

sdk::Result<sdk::ContainerState> OciBackend::state(const std::string &id) noexcept {
  return guarded(id, [&]() -> sdk::Result<sdk::ContainerState> {
    auto state = query_state(id);
    if (state.ok()) {
      if (auto cgroup = cgroup_of(id, state->pid)) {
        state->oom_killed = Cgroup::open(*cgroup).oom_killed();
      }
    }
    return state;
  });
}

sdk::Result<void> OciBackend::kill(const std::string &id, int signal, bool all) noexcept {
  return guarded(id, [&]() -> sdk::Result<void> {
    auto scratch = ScratchDir::make(scratch_);
    if (!scratch.ok()) {
      return std::move(scratch).error();
    }
    std::vector<std::string> args{"kill"};
    if (all) {
      args.emplace_back("--all");
    }
    args.insert(args.end(), {id, std::to_string(signal)});
    auto killed = run(scratch->path(), args, nullptr, id);
    return killed.ok() ? sdk::Result<void>() : std::move(killed).error();
  });
}

sdk::Result<void> OciBackend::remove_container(const std::string &id) {
  const auto record = load_record(id);
  // Both runc and crun answer a forced delete of an unknown id with success,
  // so without a record of ours the runtime is asked whether it knows it.
  if (!record) {
    auto known = query_state(id);
    if (!known.ok() && known.error().code == sdk::Errc::not_found) {
      return sdk::make_error(sdk::Errc::not_found,
                             "no such container under " + root_.string() +
                                 "; it was never created here or is already removed",
                             id);
    }
    if (!known.ok()) {
      return std::move(known).error();
    }
  }
  auto scratch = ScratchDir::make(scratch_);
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  if (auto deleted = run(scratch->path(), {"delete", "--force", id}, nullptr, id); !deleted.ok()) {
    return std::move(deleted).error();
  }
  // The runtime removes the container's cgroup, never the parent it made.
  if (record && !record->cgroup.empty()) {
    Cgroup::open(record->cgroup).remove_empty_parents();
  }
  return record ? host_.kv().erase(record_key(id)) : sdk::Result<void>();
}

sdk::Result<void> OciBackend::remove(const std::string &id) noexcept {
  return guarded(id, [&] { return remove_container(id); });
}

sdk::Result<int> OciBackend::exec_process(const std::string &id, const nlohmann::json &process,
                                          const sdk::ProcessIo &io) {
  if (auto bad = check_request(id, process, io); !bad.ok()) {
    return std::move(bad).error();
  }
  auto scratch = ScratchDir::make(scratch_);
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  const auto process_file = scratch->path() / "process.json";
  if (auto written = write_file(process_file, process.dump()); !written.ok()) {
    return std::move(written).error();
  }
  const auto pid_file = scratch->path() / "pid";
  std::vector<std::string> args{"exec",   "--detach",  "--pid-file",
                                pid_file, "--process", process_file};
  if (!io.console_socket.empty()) {
    args.insert(args.end(), {"--console-socket", io.console_socket});
  }
  args.push_back(id);
  auto ran = run(scratch->path(), args, &io, id);
  return ran.ok() ? read_pid(pid_file) : sdk::Result<int>(std::move(ran).error());
}

sdk::Result<int> OciBackend::exec(const std::string &id, const nlohmann::json &process,
                                  const sdk::ProcessIo &io) noexcept {
  return guarded(id, [&] { return exec_process(id, process, io); });
}

sdk::Result<sdk::ContainerStats> OciBackend::stats(const std::string &id) noexcept {
  return guarded(id, [&]() -> sdk::Result<sdk::ContainerStats> {
    auto cgroup = cgroup_of(id, 0);
    if (!cgroup) {
      auto state = query_state(id);
      if (!state.ok()) {
        return std::move(state).error();
      }
      cgroup = cgroup_of(id, state->pid);
    }
    if (!cgroup) {
      return sdk::make_error(sdk::Errc::not_found,
                             "no cgroup known for this container; is it still running?", id);
    }
    return Cgroup::open(*cgroup).stats();
  });
}

sdk::Result<nlohmann::json> OciBackend::features_document() {
  auto scratch = ScratchDir::make(scratch_);
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  // runc has `features`; crun 1.8 does not, so fall back to the spec
  // version its --version reports.
  if (auto out = run(scratch->path(), {"features"}, nullptr, name_); out.ok()) {
    auto document = nlohmann::json::parse(*out, nullptr, false);
    if (document.is_object()) {
      return document;
    }
  }
  auto version = run(scratch->path(), {"--version"}, nullptr, name_);
  if (!version.ok()) {
    return std::move(version).error();
  }
  std::istringstream lines(*version);
  std::string line, spec = "1.0.0";
  while (std::getline(lines, line)) {
    if (line.starts_with("spec: ")) {
      spec = line.substr(6);
    }
  }
  return nlohmann::json{{"ociVersionMin", "1.0.0"},
                        {"ociVersionMax", spec},
                        {"annotations", {{"org.berth.oci.runtime", first_line(*version)}}}};
}

sdk::Result<nlohmann::json> OciBackend::features() noexcept {
  return guarded(name_, [&] { return features_document(); });
}

sdk::Result<sdk::ContainerState> OciBackend::recover(const std::string &id) noexcept {
  return guarded(id, [&]() -> sdk::Result<sdk::ContainerState> {
    auto state = query_state(id);
    if (!state.ok()) {
      return state;
    }
    // A record lost with the engine's store is rebuilt from where the init
    // lives, so that stats keep working after the restart.
    if (!load_record(id) && state->pid > 0) {
      if (auto cgroup = cgroup_of_process(state->pid)) {
        (void)save_record(id, Record{state->bundle, *cgroup});
      }
    }
    if (auto cgroup = cgroup_of(id, state->pid)) {
      state->oom_killed = Cgroup::open(*cgroup).oom_killed();
    }
    return state;
  });
}

} // namespace berth::runtime
