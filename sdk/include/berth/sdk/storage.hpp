// StorageDriver v1: snapshot-based storage (containerd's Snapshotter model).
//
// A driver returns mount specs and never mounts them itself; the core or the
// runtime performs the mount. That keeps drivers easy to test and to proxy.
// Keys are opaque strings chosen by the core (OCI chain IDs for layers,
// container IDs for root filesystems).
//
// Every method may be called from several threads, and several processes may
// open the same state directory; a driver serialises its own changes.
#pragma once

#include <berth/sdk/layer.hpp>
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
  std::vector<std::string> options; // "ro", "rbind", "lowerdir=...", ...
};

enum class SnapshotKind { active, view, committed };

inline const char *snapshot_kind_name(SnapshotKind kind) noexcept {
  switch (kind) {
  case SnapshotKind::active: return "active";
  case SnapshotKind::view: return "view";
  case SnapshotKind::committed: return "committed";
  }
  return "unknown";
}

struct SnapshotInfo {
  std::string key;
  std::string parent; // empty for a base snapshot
  SnapshotKind kind = SnapshotKind::active;
};

struct DiskUsage {
  std::uint64_t bytes = 0; // allocated by this snapshot alone, not its parents
  std::uint64_t inodes = 0;
};

class StorageDriver : public PluginObject {
public:
  // What BERTH_PLUGIN's trampolines hand across: derived classes inherit it.
  using interface_type = StorageDriver;
  static constexpr const char *interface_id = "berth.storage.v1";

  // A writable snapshot on top of the committed snapshot parent (empty for
  // none). Errc::already_exists if key is taken, Errc::not_found if parent
  // is missing or not committed.
  virtual Result<std::vector<Mount>> prepare(const std::string &key,
                                             const std::string &parent) noexcept = 0;
  // A read-only snapshot on top of parent.
  virtual Result<std::vector<Mount>> view(const std::string &key,
                                          const std::string &parent) noexcept = 0;
  // Freezes the active snapshot key under name; key stops existing.
  virtual Result<void> commit(const std::string &name, const std::string &key) noexcept = 0;
  // The mounts of an active snapshot or a view, as prepare/view returned them.
  virtual Result<std::vector<Mount>> mounts(const std::string &key) noexcept = 0;
  // Errc::busy while children exist; Errc::not_found if there is no key.
  virtual Result<void> remove(const std::string &key) noexcept = 0;
  virtual Result<SnapshotInfo> stat(const std::string &key) noexcept = 0;
  virtual Result<void> walk(const std::function<void(const SnapshotInfo &)> &visit) noexcept = 0;
  virtual Result<DiskUsage> usage(const std::string &key) noexcept = 0;
};

// Optional: unpack a layer straight into an active snapshot without mounting
// it. Without it, the core mounts the snapshot and extracts into the mount,
// applying deletions as deletions.
class LayerApply {
public:
  static constexpr const char *interface_id = "berth.storage.apply.v1";
  virtual Result<void> apply(const std::string &key, LayerReader &layer) noexcept = 0;

protected:
  ~LayerApply() = default;
};

// Optional: the changes of a snapshot against its parent, read from the
// driver's own records. Without it, the core mounts both and compares them.
class LayerDiff {
public:
  static constexpr const char *interface_id = "berth.storage.diff.v1";
  virtual Result<void> diff(const std::string &key, LayerWriter &out) noexcept = 0;

protected:
  ~LayerDiff() = default;
};

template <> struct KindOf<StorageDriver> { static constexpr uint32_t value = BERTH_KIND_STORAGE; };

} // namespace berth::sdk::inline v1
