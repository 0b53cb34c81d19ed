// Containers: create, start (through berth-shim), stop, kill, remove, list,
// inspect, wait, logs, exec, stats; and the volumes they mount. The engine
// facade hands this to front ends.
#pragma once

#include "container/attach_client.hpp"
#include "container/container_archive.hpp"
#include "container/container_store.hpp"
#include "container/json_log.hpp"
#include "container/monitor.hpp"
#include "container/process_table.hpp"
#include "container/spec_builder.hpp"
#include "image/image_service.hpp"
#include "network/network_service.hpp"
#include "store/sqlite.hpp"
#include "util/fd.hpp"
#include "volume/volume_store.hpp"

#include <berth/sdk/runtime.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace berth {

// A runtime backend as the stack names it.
struct RuntimeBackendInfo {
  std::string backend; // the stack's name for it ("namespaces", "crun")
  std::string plugin;  // the plugin that implements it ("oci")
  std::filesystem::path plugin_file;
  nlohmann::json options = nlohmann::json::object();
};

// What the service needs from the engine around it.
struct ContainerEnvironment {
  std::filesystem::path root;
  std::filesystem::path helper_dir; // where berth-shim and berth-init live
  std::string storage_driver;
  // "" names the stack's default backend.
  std::function<sdk::Result<RuntimeBackendInfo>(const std::string &)> runtime_info;
  std::function<sdk::Result<std::shared_ptr<sdk::IsolationBackend>>(const RuntimeBackendInfo &)>
      make_runtime;
  // Networks, when the stack has a network section; null otherwise (then
  // only "none" and "host" exist).
  NetworkService *networks = nullptr;
  // argv of `berth rm -f -v ID` for this engine (--rm with -d), ID appended.
  std::vector<std::string> remove_command;
};

struct ContainerView {
  ContainerRecord record;
  MonitorState state;
  std::vector<std::string> args;       // the program and its arguments, as run (list only)
  std::vector<sdk::PortMapping> ports; // published, as bound (list only, running only)
  // Docker's CREATED column: "5 seconds ago".
  [[nodiscard]] std::string created_text() const;
  [[nodiscard]] bool running() const {
    return state.status == "running" || state.status == "restarting";
  }
  // Docker's STATUS column: "Up 3 seconds", "Exited (0) 2 minutes ago".
  [[nodiscard]] std::string status_text() const;
  // Docker's PORTS column: "0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp".
  [[nodiscard]] std::string ports_text() const;
};

struct LogRequest {
  bool follow = false;
  int tail = -1; // -1: all
  // Polled while following: true ends the call (the client went away).
  std::function<bool()> cancelled;
};

// A process started by exec: wait for pid (we are its subreaper). With a
// terminal, master is the pty's master side.
struct ExecHandle {
  int pid = 0;
  UniqueFd master;
};

struct ExecIo {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// The storage driver's key for a container's writable snapshot.
std::string container_snapshot_key(const std::string &id);

class ContainerService {
public:
  ContainerService(ContainerEnvironment environment, ImageService &images);
  ~ContainerService();
  ContainerService(const ContainerService &) = delete;
  ContainerService &operator=(const ContainerService &) = delete;
  ContainerService(ContainerService &&) = delete;
  ContainerService &operator=(ContainerService &&) = delete;

  // Returns the new container's id. Nothing is left behind on failure.
  sdk::Result<std::string> create(ContainerConfig config);
  // Starts the monitor. With attach, the monitor waits for the returned
  // attach connection before it starts the program, so no output is lost;
  // errors keep their codes (not_found: program missing, permission: not
  // executable). An attached --rm container is removed by whoever attached
  // (the CLI, which needs its exit code first), unless monitor_removes: then
  // its monitor removes it after the last exit, as for a detached one (a
  // daemon, whose client may be gone by then).
  sdk::Result<UniqueFd> start(const std::string &reference, bool attach,
                              bool monitor_removes = false);
  // A connection to a running container's monitor (output and, when it
  // was started with -i, stdin); never starts it. Fails with
  // invalid_argument when it is not running.
  sdk::Result<UniqueFd> attach(const std::string &reference);
  // SIGTERM, then SIGKILL after timeout seconds. Ok when already stopped.
  sdk::Result<void> stop(const std::string &reference, int timeout_seconds);
  sdk::Result<void> kill(const std::string &reference, int signal);
  sdk::Result<void> restart(const std::string &reference, int timeout_seconds);
  sdk::Result<void> remove(const std::string &reference, bool force, bool volumes);
  sdk::Result<std::vector<ContainerView>> list(bool all);
  sdk::Result<ContainerView> view(const std::string &reference);
  sdk::Result<nlohmann::json> inspect(const std::string &reference);
  // Blocks until the container stops; its exit code. cancelled, when
  // given, is polled a few times a second and ends the wait (Errc::cancelled).
  sdk::Result<int> wait(const std::string &reference, const std::function<bool()> &cancelled = {});
  sdk::Result<void> logs(const std::string &reference, const LogRequest &request,
                         const std::function<void(const LogLine &)> &print);
  sdk::Result<ExecHandle> exec(const std::string &reference, const ExecRequest &request,
                               const ExecIo &io);
  sdk::Result<sdk::ContainerStats> stats(const std::string &reference);
  // The processes of a running container (top).
  sdk::Result<ProcessTable> top(const std::string &reference);
  // The root filesystem as the container sees it: its init's root while it
  // runs (through an fd this service holds, opened only after the init's
  // start time proved the recorded pid still names it), the mounted
  // snapshot otherwise.
  sdk::Result<std::filesystem::path> filesystem_root(const std::string &reference);
  // docker cp through Docker's archive API (container/container_archive.hpp):
  // a path's stat, the path as a tar, a tar unpacked into a directory.
  sdk::Result<PathStat> stat_path(const std::string &reference, const std::string &path);
  sdk::Result<void> archive_out(const std::string &reference, const std::string &path,
                                const TarSink &sink);
  sdk::Result<void> archive_in(const std::string &reference, const std::string &path,
                               const std::filesystem::path &tar_file);
  // Removes every stopped container; their names.
  sdk::Result<std::vector<std::string>> prune();

  sdk::Result<VolumeRecord> create_volume(const std::string &name,
                                          const std::map<std::string, std::string> &labels);
  sdk::Result<std::vector<VolumeRecord>> list_volumes();
  sdk::Result<VolumeRecord> inspect_volume(const std::string &name);
  sdk::Result<void> remove_volume(const std::string &name, bool force);
  // Unused volumes: anonymous ones, or all with all_volumes; their names.
  sdk::Result<std::vector<std::string>> prune_volumes(bool all_volumes);
  // Names of the containers mounting the volume.
  std::vector<std::string> volume_users(const std::string &name);
  // network connect / disconnect: recorded for a stopped container, attached
  // or detached at once for a running one.
  sdk::Result<void> connect_network(const std::string &network, const std::string &reference,
                                    const std::vector<std::string> &aliases, const std::string &ip);
  sdk::Result<void> disconnect_network(const std::string &network, const std::string &reference,
                                       bool force);
  // The published ports of a running container, as bound (berth port).
  sdk::Result<std::vector<sdk::PortMapping>> ports(const std::string &reference);

  // Containers using an image, for the image service's checks.
  std::vector<std::string> image_users(const std::string &image_id);

  // Once per boot, before anything else reads the store: commits are
  // synced lazily (Durability::deferred), so an operating-system crash may
  // have lost the last ones. Rows whose directory is gone, directories made
  // before this boot that no row names, network records of unknown
  // containers and volume directories without rows are reconciled, and
  // --rm containers the crash stopped are removed; then the
  // boot is recorded in root/boot-id. Cheap when nothing is to be done: two
  // small reads.
  void recover_after_reboot();

private:
  int stop_signal_for(const ContainerRecord &record);
  sdk::Result<std::filesystem::path> running_root(const MonitorState &state);
  // Runs use(root) with the container's root (see filesystem_root), closing
  // afterwards the fd that kept a running one's reachable: a daemon's engine
  // lives on, and must not keep one per call.
  template <class T>
  sdk::Result<T> with_root(const std::string &reference,
                           const std::function<sdk::Result<T>(const std::filesystem::path &)> &use);
  [[nodiscard]] std::filesystem::path dir(const std::string &id) const;
  sdk::Result<ContainerView> view_of(const ContainerRecord &record);
  // The command a listing shows: entrypoint + cmd over the image's config,
  // which image_configs caches by image id for the rest of the listing.
  std::vector<std::string> listed_args(const ContainerRecord &record,
                                       std::map<std::string, nlohmann::json> &image_configs);
  // The view, or an error saying the container is not running.
  sdk::Result<ContainerView> running_view(const std::string &reference);
  sdk::Result<std::shared_ptr<sdk::IsolationBackend>> backend_for(const ContainerRecord &record);
  void reconcile(const ContainerRecord &record, MonitorState &state);
  sdk::Result<void> prepare_bundle(const ContainerRecord &record, const ContainerRootfs &rootfs,
                                   const std::vector<ResolvedMount> &mounts,
                                   const NetworkPlacement &network);
  sdk::Result<NetworkPlacement> place_network(ContainerRecord &record,
                                              const nlohmann::json &image_config);
  [[nodiscard]] SandboxRequest sandbox_request(const ContainerRecord &record) const;
  void release_network(const std::string &id);
  void wait_for_monitor(const std::string &id);
  sdk::Result<std::vector<ResolvedMount>> resolve_volumes(ContainerRecord &record,
                                                          const nlohmann::json &image_config);
  sdk::Result<void> ensure_rootfs(const ContainerRecord &record);
  void discard(const ContainerRecord &record, bool remove_row);
  void remove_unrecorded_directories(std::int64_t booted_at);
  void remove_rows_without_directories();
  void remove_auto_removed(std::int64_t booted_at);
  sdk::Result<UniqueFd> spawn_monitor(const ContainerRecord &record, bool attach,
                                      bool monitor_removes, const std::vector<UniqueFd> &held);
  sdk::Result<UniqueFd> attach_for_control(const ContainerRecord &record);
  sdk::Result<void> stop_record(const ContainerRecord &record, int timeout_seconds, int signal);
  sdk::Result<void> remove_record(const ContainerRecord &record, bool volumes);
  [[nodiscard]] nlohmann::json mounts_json(const ContainerRecord &record,
                                           const nlohmann::json &spec) const;

  ContainerEnvironment env_;
  ImageService &images_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ContainerStore> store_;
  std::unique_ptr<VolumeStore> volumes_;
  std::vector<UniqueFd> held_roots_; // see filesystem_root
};

} // namespace berth
