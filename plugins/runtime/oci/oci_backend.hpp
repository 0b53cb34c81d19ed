// oci: an IsolationBackend that drives an external OCI runtime (crun, runc)
// through its command line, so a stack can swap the native backend for crun
// in one line and compare the two.
//
// The runtime keeps its own state under --root. Beside it, this backend keeps
// one record per container in the plugin's key-value store: the bundle and
// the cgroup path, because stats and state receive only the id.
//
// The runtime binary is this backend's child and is always reaped here. The
// processes it leaves behind (a container's init, an exec'd process) are
// reparented to the caller's subreaper: waiting for them is the caller's job.
#pragma once

#include <berth/sdk/runtime.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

class OciBackend final : public sdk::IsolationBackend {
public:
  // options: binary (a name looked up in PATH, or an absolute path) and root
  // (the runtime's --root; empty: state_dir()/<binary's name>). A binary
  // that cannot be found is Errc::unavailable, so the plugin shows as
  // skipped with the reason.
  static sdk::Result<std::unique_ptr<OciBackend>> create(sdk::HostServices &host,
                                                         const nlohmann::json &options);

  OciBackend(sdk::HostServices &host, std::filesystem::path binary, std::filesystem::path root,
             std::filesystem::path scratch);

  sdk::Result<sdk::ContainerState> create(const std::string &id, const std::string &bundle,
                                          const nlohmann::json &spec,
                                          const sdk::ProcessIo &io) noexcept override;
  sdk::Result<void> start(const std::string &id) noexcept override;
  sdk::Result<sdk::ContainerState> state(const std::string &id) noexcept override;
  sdk::Result<void> kill(const std::string &id, int signal, bool all) noexcept override;
  sdk::Result<void> remove(const std::string &id) noexcept override;
  sdk::Result<int> exec(const std::string &id, const nlohmann::json &process,
                        const sdk::ProcessIo &io) noexcept override;
  sdk::Result<sdk::ContainerStats> stats(const std::string &id) noexcept override;
  sdk::Result<nlohmann::json> features() noexcept override;
  sdk::Result<sdk::ContainerState> recover(const std::string &id) noexcept override;

private:
  // What this backend remembers of a container beyond the runtime's state.
  struct Record {
    std::string bundle;
    std::string cgroup;
  };

  // Runs `binary --root R --log L --log-format json args...` and waits for
  // it. With io, the runtime's (and so the container's) stdio come from io
  // and nothing is captured; without, its stdout is returned. A failure is
  // the runtime's own error message, classified, with the id as context.
  sdk::Result<std::string> run(const std::filesystem::path &scratch,
                               const std::vector<std::string> &args, const sdk::ProcessIo *io,
                               const std::string &id);
  sdk::Result<sdk::ContainerState> query_state(const std::string &id);
  sdk::Result<sdk::ContainerState> create_container(const std::string &id,
                                                    const std::string &bundle,
                                                    const nlohmann::json &spec,
                                                    const sdk::ProcessIo &io);
  sdk::Result<int> exec_process(const std::string &id, const nlohmann::json &process,
                                const sdk::ProcessIo &io);
  sdk::Result<void> remove_container(const std::string &id);
  sdk::Result<nlohmann::json> features_document();
  void force_delete(const std::string &id);

  std::optional<Record> load_record(const std::string &id);
  sdk::Result<void> save_record(const std::string &id, const Record &record);
  // The container's cgroup: the record's, else where its init lives now.
  std::optional<std::string> cgroup_of(const std::string &id, int pid);

  sdk::HostServices &host_;
  std::filesystem::path binary_;
  std::string name_; // the binary's file name, for messages
  std::filesystem::path root_;
  std::filesystem::path scratch_; // per-command temporary directories
};

} // namespace berth::runtime
