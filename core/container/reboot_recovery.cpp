// After an operating-system crash: the store's commits are synced lazily
// (Durability::deferred), so the last ones before the crash may be gone while
// the files they described survived, or the other way round. The first
// command of each boot puts the two back in agreement.
#include "container/container_service.hpp"
#include "util/private_dir.hpp"

#include "container/container_files.hpp"
#include "network/network_service.hpp"
#include "util/file_lock.hpp"

#include <sys/stat.h>

#include <ctime>
#include <fcntl.h>
#include <set>
#include <unistd.h>

namespace berth {
namespace {

namespace fs = std::filesystem;

std::string first_line(const fs::path &file) {
  auto text = read_text(file);
  return text.substr(0, text.find('\n'));
}

// Seconds since the epoch at which this boot began.
std::int64_t boot_started_at() {
  timespec now{};
  timespec since_boot{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  ::clock_gettime(CLOCK_BOOTTIME, &since_boot);
  return static_cast<std::int64_t>(now.tv_sec - since_boot.tv_sec);
}

// True for a directory last changed before this boot: no command of this
// boot can be in the middle of making it.
bool from_earlier_boot(const fs::path &path, std::int64_t booted_at) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && info.st_mtim.tv_sec < booted_at;
}

// root/boot-id written so that it is on disk before anything else is: a
// crash right after still finds the old id and reconciles again.
void record_boot(const fs::path &file, const std::string &boot_id) {
  // Not written: reconciled again next time, which is harmless.
  (void)write_file_atomically(file, boot_id + "\n", 0600, true);
}

} // namespace

void ContainerService::recover_after_reboot() {
  const auto boot_id = first_line("/proc/sys/kernel/random/boot_id");
  const auto marker = env_.root / "boot-id";
  if (boot_id.empty() || first_line(marker) == boot_id) {
    return;
  }
  const FileLock held(env_.root / "boot.lock");
  if (first_line(marker) == boot_id) {
    return; // another command of this boot did it while we waited
  }
  const auto booted_at = boot_started_at();
  remove_rows_without_directories();
  remove_unrecorded_directories(booted_at);
  remove_auto_removed(booted_at);
  if (env_.networks != nullptr) {
    if (auto known = env_.networks->containers(); known.ok()) {
      for (const auto &id : *known) {
        if (!store_->get(id)) {
          (void)env_.networks->forget(id);
        }
      }
    }
  }
  volumes_->adopt_unrecorded(booted_at);
  record_boot(marker, boot_id);
}

// Left by an `rm` whose commit was lost: the files went, the row came back.
// The anonymous volumes stay, as `rm` without -v leaves them.
void ContainerService::remove_rows_without_directories() {
  for (const auto &record : store_->list()) {
    if (!fs::exists(dir(record.id))) {
      (void)remove_record(record, false);
    }
  }
}

// --rm containers the crash stopped: nobody will see them exit, so they go
// now, as dockerd removes them when it starts again.
void ContainerService::remove_auto_removed(std::int64_t booted_at) {
  for (const auto &record : store_->list()) {
    if (record.config.auto_remove && from_earlier_boot(dir(record.id), booted_at)) {
      (void)remove_record(record, true);
    }
  }
}

// Left by a `create` whose commit was lost: the row is gone, the directory,
// the snapshot and perhaps the network records stayed. discard() undoes
// exactly that; the id is all such a container still has.
void ContainerService::remove_unrecorded_directories(std::int64_t booted_at) {
  std::set<std::string> recorded;
  for (const auto &record : store_->list()) {
    recorded.insert(record.id);
  }
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(env_.root / "containers", ec)) {
    ContainerRecord orphan;
    orphan.id = entry.path().filename().string();
    if (recorded.count(orphan.id) == 0 && from_earlier_boot(entry.path(), booted_at)) {
      discard(orphan, false);
    }
  }
}

} // namespace berth
