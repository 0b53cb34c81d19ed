// The volumes containers mount: -v and --mount resolved at create, and the
// volume commands.
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

sdk::Result<std::vector<ResolvedMount>>
ContainerService::resolve_volumes(ContainerRecord &record, const json &image_config) {
  std::vector<ResolvedMount> mounts;
  std::set<std::string> targets;
  for (const auto &volume : record.config.volumes) {
    targets.insert(volume.target);
    if (volume.kind == VolumeMount::Kind::bind) {
      if (!fs::exists(volume.source)) {
        return sdk::make_error(sdk::Errc::not_found,
                               "invalid mount config for type \"bind\": bind source path does "
                               "not exist: " +
                                   volume.source + "; create it first or fix the path");
      }
      mounts.push_back({volume.source, volume.target, volume.read_only});
      continue;
    }
    auto made = volumes_->create(volume.source, {}, volume.source.empty());
    if (!made.ok()) {
      return std::move(made).error();
    }
    if (volume.source.empty()) {
      record.anonymous_volumes.push_back(made->name);
    }
    mounts.push_back({made->mountpoint.string(), volume.target, volume.read_only});
  }
  // The image's VOLUMEs not covered by -v get an anonymous volume each.
  const auto image_volumes = image_config.value("config", json::object()).value("Volumes", json());
  if (image_volumes.is_object()) {
    for (const auto &[target, unused] : image_volumes.items()) {
      if (targets.count(target) == 0) {
        auto made = volumes_->create("", {}, true);
        if (!made.ok()) {
          return std::move(made).error();
        }
        record.anonymous_volumes.push_back(made->name);
        mounts.push_back({made->mountpoint.string(), target, false});
      }
    }
  }
  // Parents before children, as Docker sorts them: -v a:/d/sub -v b:/d must
  // not hide a under b.
  std::stable_sort(mounts.begin(), mounts.end(), [](const auto &x, const auto &y) {
    return std::count(x.target.begin(), x.target.end(), '/') <
           std::count(y.target.begin(), y.target.end(), '/');
  });
  return mounts;
}

std::vector<std::string> ContainerService::volume_users(const std::string &name) {
  return store_->users_of_volume(name);
}

sdk::Result<VolumeRecord>
ContainerService::create_volume(const std::string &name,
                                const std::map<std::string, std::string> &labels) {
  try {
    return volumes_->create(name, labels, false);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), name);
  }
}

sdk::Result<std::vector<VolumeRecord>> ContainerService::list_volumes() {
  try {
    return volumes_->list();
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what());
  }
}

sdk::Result<VolumeRecord> ContainerService::inspect_volume(const std::string &name) {
  if (auto found = volumes_->get(name)) {
    return *found;
  }
  return sdk::make_error(sdk::Errc::not_found,
                         "no such volume; see 'berth volume ls' for the ones there are", name);
}

sdk::Result<void> ContainerService::remove_volume(const std::string &name, bool force) {
  try {
    if (!volumes_->get(name)) {
      if (force) {
        return {};
      }
      return sdk::make_error(sdk::Errc::not_found, "no such volume", name);
    }
    const auto users = store_->users_of_volume(name);
    if (!users.empty()) {
      return sdk::make_error(sdk::Errc::busy,
                             "volume is in use by container " + users.front() +
                                 "; remove the container first (berth rm " + users.front() + ")",
                             name);
    }
    return volumes_->remove(name);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), name);
  }
}

sdk::Result<std::vector<std::string>> ContainerService::prune_volumes(bool all_volumes) {
  try {
    std::vector<std::string> removed;
    for (const auto &volume : volumes_->list()) {
      if ((all_volumes || volume.anonymous) && store_->users_of_volume(volume.name).empty()) {
        if (auto gone = volumes_->remove(volume.name); !gone.ok()) {
          return std::move(gone).error();
        }
        removed.push_back(volume.name);
      }
    }
    return removed;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what());
  }
}

} // namespace berth
