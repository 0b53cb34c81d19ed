// The native isolation backend: clone3 into new namespaces and cgroups,
// pivot_root, capabilities, seccomp; no runtime binary in between.
//
// State per container lives in the plugin's state directory as ID/state.json
// plus ID/exec.fifo while the container is created but not started (runc's
// design: start() may come from another process than create()).
#pragma once

#include "namespaces/launch_plan.hpp"

#include <berth/sdk/runtime.hpp>

#include <filesystem>
#include <memory>

namespace berth::runtime {

class NativeBackend final : public sdk::IsolationBackend {
public:
  static sdk::Result<std::unique_ptr<NativeBackend>> create(sdk::HostServices &host,
                                                            const nlohmann::json &options);

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

  explicit NativeBackend(std::filesystem::path state_root) : root_(std::move(state_root)) {}

private:
  [[nodiscard]] std::filesystem::path dir(const std::string &id) const { return root_ / id; }
  // Compiled once per distinct profile and kept on disk: compiling Docker's
  // profile takes longer than the rest of a container's start.
  sdk::Result<void> compile_seccomp_cached(ProcessPlan &plan) const;

  std::filesystem::path root_;
};

} // namespace berth::runtime
