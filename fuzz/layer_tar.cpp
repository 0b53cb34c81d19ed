// Layer tars (plain, gzip, zstd, xz, bzip2) as an image or `berth import`
// hands them to ArchiveLayerReader. Besides not crashing, every entry must
// keep the promises of sdk/layer.hpp that drivers rely on for safety, which
// this file checks against its own model of the layer so far.
#include "fuzz_target.hpp"

#include "layer/layer_reader.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <string>

namespace {

using berth::sdk::EntryType;

// "a/b": relative, no empty, "." or ".." component.
bool is_normal(std::string_view path) {
  if (path.empty()) {
    return false;
  }
  for (std::size_t start = 0; start <= path.size();) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// What each path of the layer is after the entries so far.
class LayerModel {
public:
  [[nodiscard]] bool under_symlink(const std::string &path) const {
    for (auto at = path.find('/'); at != std::string::npos; at = path.find('/', at + 1)) {
      const auto found = types_.find(path.substr(0, at));
      if (found != types_.end() && found->second == EntryType::symlink) {
        return true;
      }
    }
    return false;
  }

  [[nodiscard]] bool is_file(const std::string &path) const {
    const auto found = types_.find(path);
    return found != types_.end() &&
           (found->second == EntryType::regular || found->second == EntryType::hardlink);
  }

  // An entry replaces whatever was at its path, with everything below it.
  void apply(const berth::sdk::LayerEntry &entry) {
    if (entry.type == EntryType::opaque) {
      return;
    }
    types_.erase(entry.path);
    // Below "a" is "a/..."; '0' follows '/', so those sort before "a0".
    types_.erase(types_.lower_bound(entry.path + "/"), types_.lower_bound(entry.path + "0"));
    if (entry.type != EntryType::whiteout) {
      types_[entry.path] = entry.type;
    }
  }

private:
  std::map<std::string, EntryType> types_;
};

void check(const berth::sdk::LayerEntry &entry, const LayerModel &model) {
  BERTH_FUZZ_CHECK(is_normal(entry.path) ||
                   (entry.type == EntryType::opaque && entry.path.empty()));
  BERTH_FUZZ_CHECK(!model.under_symlink(entry.path));
  if (entry.type == EntryType::hardlink) {
    BERTH_FUZZ_CHECK(is_normal(entry.link));
    BERTH_FUZZ_CHECK(model.is_file(entry.link));
    BERTH_FUZZ_CHECK(!model.under_symlink(entry.link));
  }
}

} // namespace

BERTH_FUZZ_TARGET(layer_tar) {
  // The reader opens a path; a memfd gives it one without touching a disk.
  const berth::UniqueFd memory(::memfd_create("layer", MFD_CLOEXEC));
  const berth::UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  BERTH_FUZZ_CHECK(memory.valid() && null.valid());
  BERTH_FUZZ_CHECK(::write(memory.get(), data, size) == static_cast<ssize_t>(size));
  auto reader = berth::ArchiveLayerReader::open("/proc/self/fd/" + std::to_string(memory.get()),
                                                "fuzzed layer");
  if (berth::fuzz::refused(reader)) {
    return 0;
  }
  LayerModel model;
  berth::sdk::LayerEntry entry;
  for (;;) {
    const auto more = (*reader)->next(entry);
    if (berth::fuzz::refused(more)) {
      return 0;
    }
    if (!*more) {
      break;
    }
    check(entry, model);
    model.apply(entry);
    if (entry.type == EntryType::regular &&
        berth::fuzz::refused((*reader)->copy_data(null.get()))) {
      return 0;
    }
  }
  const auto diff_id = (*reader)->finish();
  BERTH_FUZZ_CHECK(!diff_id.ok() || diff_id->starts_with("sha256:"));
  return 0;
}
