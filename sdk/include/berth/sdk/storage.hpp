// StorageDriver v1: snapshot-based storage (containerd's Snapshotter model).
//
// A driver returns mount specs and never mounts them itself; the runtime (or
// the core, for image mounts) performs the mount. That keeps drivers easy to
// test and to proxy.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace berth::sdk::inline v1 {

struct Mount {
  std::string type; // "overlay", "bind", ...
  std::string source;
  std::vector<std::string> options; // "ro", "lowerdir=...", ...
};

enum class SnapshotKind { active, view, committed };

struct SnapshotInfo {
  std::string key;
  std::string parent; // empty for a base snapshot
  SnapshotKind kind = SnapshotKind::active;
};

struct DiskUsage {
  std::uint64_t bytes = 0;
  std::uint64_t inodes = 0;
};

class StorageDriver : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = StorageDriver;
  static constexpr const char *interface_id = "berth.storage.v1";

  // A writable snapshot on top of parent (empty for none).
  virtual Result<std::vector<Mount>> prepare(const std::string &key,
                                             const std::string &parent) noexcept = 0;
  // A read-only snapshot on top of parent.
  virtual Result<std::vector<Mount>> view(const std::string &key,
                                          const std::string &parent) noexcept = 0;
  // Freeze the active snapshot key under the committed name.
  virtual Result<void> commit(const std::string &name, const std::string &key) noexcept = 0;
  virtual Result<std::vector<Mount>> mounts(const std::string &key) noexcept = 0;
  // Fails with Errc::busy while children exist.
  virtual Result<void> remove(const std::string &key) noexcept = 0;
  virtual Result<SnapshotInfo> stat(const std::string &key) noexcept = 0;
  virtual Result<void> walk(const std::function<void(const SnapshotInfo &)> &visit) noexcept = 0;
  virtual Result<DiskUsage> usage(const std::string &key) noexcept = 0;
};

template <> struct KindOf<StorageDriver> { static constexpr uint32_t value = BERTH_KIND_STORAGE; };

} // namespace berth::sdk::inline v1
