// exec, and the container's root filesystem as cp and export see it.
#include "container/container_service.hpp"

#include "container/image_defaults.hpp"
#include "container/seccomp_profile.hpp"
#include "util/in_root.hpp"
#include "util/mount_point.hpp"
#include "util/signal_name.hpp"
#include "util/text.hpp"

#include <berth/sdk/mount.hpp>

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace berth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

} // namespace

sdk::Result<ExecHandle> ContainerService::exec(const std::string &reference,
                                               const ExecRequest &request, const ExecIo &io) {
  try {
    auto current = view(reference);
    if (!current.ok()) {
      return std::move(current).error();
    }
    const auto &record = current->record;
    if (current->state.status != "running") {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "container " + record.name + " is not running; start it first");
    }
    json spec;
    {
      std::ifstream in(dir(record.id) / "config.json");
      spec = json::parse(in);
    }
    auto process = exec_process(spec, request, dir(record.id) / "rootfs");
    if (!process.ok()) {
      return std::move(process).error();
    }
    auto backend = backend_for(record);
    if (!backend.ok()) {
      return std::move(backend).error();
    }
    // The process's intermediate parent exits; we adopt it to wait for it.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    sdk::ProcessIo pio{io.stdin_fd, io.stdout_fd, io.stderr_fd, {}};
    UniqueFd listener;
    fs::path socket_dir;
    if (request.tty) {
      char pattern[] = "/tmp/berth-exec-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) {
        return sdk::errno_error("mkdtemp", "/tmp");
      }
      socket_dir = pattern;
      pio.console_socket = (socket_dir / "console.sock").string();
      listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::strncpy(address.sun_path, pio.console_socket.c_str(), sizeof address.sun_path - 1);
      if (::bind(listener.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) < 0 ||
          ::listen(listener.get(), 1) < 0) {
        fs::remove_all(socket_dir);
        return sdk::errno_error("listen", pio.console_socket);
      }
    }
    auto pid = (*backend)->exec(record.id, *process, pio);
    if (!pid.ok()) {
      pid = [&] {
        auto error = std::move(pid).error();
        error.context = record.name; // the backend only knows the id
        return sdk::Result<int>(std::move(error));
      }();
    }
    ExecHandle handle;
    if (pid.ok() && request.tty) {
      auto master = receive_master(listener.get());
      if (master.ok()) {
        handle.master = std::move(master).value();
      }
    }
    if (!socket_dir.empty()) {
      std::error_code ec;
      fs::remove_all(socket_dir, ec);
    }
    if (!pid.ok()) {
      return std::move(pid).error();
    }
    handle.pid = *pid;
    return handle;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), reference);
  }
}

// A pid from state.json may have been reused by a host process since (the
// container died unwatched): opened first, then checked, the root fd is the
// container's only if the pid still has the start time the shim recorded.
sdk::Result<fs::path> ContainerService::running_root(const MonitorState &state) {
  const auto pid = std::to_string(state.pid);
  UniqueFd root(::open(("/proc/" + pid + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  const auto started = process_start_time(state.pid);
  if (!root.valid() || !started ||
      (state.pid_start_time != 0 && *started != state.pid_start_time)) {
    return sdk::make_error(sdk::Errc::unavailable,
                           "the container's process (pid " + pid +
                               ") is gone; run the command again once berth has recorded its exit");
  }
  held_roots_.push_back(std::move(root));
  return fs::path("/proc/self/fd") / std::to_string(held_roots_.back().get());
}

sdk::Result<fs::path> ContainerService::filesystem_root(const std::string &reference) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (current->state.status == "running" && current->state.pid > 0) {
    return running_root(current->state);
  }
  if (auto mounted = ensure_rootfs(current->record); !mounted.ok()) {
    return std::move(mounted).error();
  }
  return dir(current->record.id) / "rootfs";
}

template <class T>
sdk::Result<T>
ContainerService::with_root(const std::string &reference,
                            const std::function<sdk::Result<T>(const fs::path &)> &use) {
  const auto held = held_roots_.size();
  auto root = filesystem_root(reference);
  if (!root.ok()) {
    return std::move(root).error();
  }
  auto result = use(*root);
  held_roots_.resize(held);
  return result;
}

sdk::Result<PathStat> ContainerService::stat_path(const std::string &reference,
                                                  const std::string &path) {
  return with_root<PathStat>(reference,
                             [&](const fs::path &root) { return stat_in_root(root, path); });
}

sdk::Result<void> ContainerService::archive_out(const std::string &reference,
                                                const std::string &path, const TarSink &sink) {
  return with_root<void>(reference,
                         [&](const fs::path &root) { return tar_from_root(root, path, sink); });
}

sdk::Result<void> ContainerService::archive_in(const std::string &reference,
                                               const std::string &path, const fs::path &tar_file) {
  return with_root<void>(
      reference, [&](const fs::path &root) { return untar_into_root(tar_file, root, path); });
}

} // namespace berth
