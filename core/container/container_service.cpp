#include "container/container_service.hpp"

#include "container/container_files.hpp"
#include "container/image_defaults.hpp"
#include "container/seccomp_profile.hpp"
#include "util/error_context.hpp"
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

// Docker's names are adjective_surname; a shorter list does the same job.
std::string random_name(std::mt19937 &random) {
  static const char *adjectives[] = {
      "brave", "calm",  "eager", "fond",  "gentle", "happy",  "jolly", "keen", "lucid",   "merry",
      "nifty", "quiet", "sharp", "stoic", "tender", "upbeat", "vivid", "wise", "zealous", "bold"};
  static const char *names[] = {"turing",   "hopper",    "lovelace", "ritchie", "thompson",
                                "torvalds", "knuth",     "dijkstra", "liskov",  "hamilton",
                                "shannon",  "kernighan", "pike",     "allen",   "backus",
                                "mccarthy", "perlman",   "wirth",    "lamport", "cerf"};
  return std::string(adjectives[random() % std::size(adjectives)]) + "_" +
         names[random() % std::size(names)];
}

// A generated name can be taken by a concurrent create between the look-up
// and the insert; such a record takes another one, as Docker's does. A name
// the user chose is theirs: its clash is the user's error.
sdk::Result<void> insert_record(ContainerStore &store, ContainerRecord &record, bool generated_name,
                                std::mt19937 &random) {
  constexpr int kNameTries = 100;
  auto inserted = store.insert(record);
  for (int tries = 0; generated_name && !inserted.ok() &&
                      inserted.error().code == sdk::Errc::already_exists && tries < kNameTries;
       ++tries) {
    record.name = record.config.name = random_name(random);
    inserted = store.insert(record);
  }
  return inserted;
}

} // namespace

std::string container_snapshot_key(const std::string &id) {
  return "container-" + id;
}

ContainerService::ContainerService(ContainerEnvironment environment, ImageService &images)
    : env_(std::move(environment)), images_(images),
      db_(std::make_unique<Database>(env_.root / "berth.db", Durability::deferred)),
      store_(std::make_unique<ContainerStore>(*db_)),
      volumes_(std::make_unique<VolumeStore>(*db_, env_.root)) {}

ContainerService::~ContainerService() = default;

fs::path ContainerService::dir(const std::string &id) const {
  return env_.root / "containers" / id;
}

std::vector<std::string> ContainerService::image_users(const std::string &image_id) {
  return store_->users_of_image(image_id);
}

sdk::Result<std::string> ContainerService::create(ContainerConfig config) {
  try {
    if (!env_.networks) {
      if (config.network.empty()) {
        config.network = "none";
      }
      if (config.network != "none" && config.network != "host") {
        return sdk::make_error(sdk::Errc::not_found,
                               "network " + config.network +
                                   " not found: the stack has no network section, so only "
                                   "'none' and 'host' exist",
                               "--network");
      }
    }
    if (auto logs = log_options(config.log_options); !logs.ok()) {
      return std::move(logs).error();
    }
    auto runtime = env_.runtime_info(config.runtime);
    if (!runtime.ok()) {
      return std::move(runtime).error();
    }
    ContainerRecord record;
    record.id = random_hex_id();
    record.runtime = runtime->backend;
    record.created = rfc3339_now();
    std::mt19937 random(std::random_device{}());
    const bool generated_name = config.name.empty();
    if (generated_name) {
      do {
        config.name = random_name(random);
      } while (store_->find(config.name).ok());
    } else if (auto valid = check_container_name(config.name); !valid.ok()) {
      return std::move(valid).error();
    }
    record.name = config.name;
    record.config = config;
    const auto home = dir(record.id);
    fs::create_directories(home);
    ::chmod(home.c_str(), 0700);
    auto rootfs = images_.prepare_container(
        config.image, container_snapshot_key(record.id), [&](const std::string &image_id) {
          record.image_id = image_id;
          return insert_record(*store_, record, generated_name, random);
        });
    if (!rootfs.ok()) {
      fs::remove_all(home);
      auto error = std::move(rootfs).error();
      if (error.code == sdk::Errc::not_found &&
          error.message.find("no such image") != std::string::npos) {
        error.message = "Unable to find image '" + config.image +
                        "' locally; load it with 'berth load -i FILE' or 'berth import' (berth "
                        "pulls from no registry)";
        error.context.clear();
      }
      return error;
    }
    auto finished = [&]() -> sdk::Result<void> {
      auto mounts = resolve_volumes(record, rootfs->config);
      if (!mounts.ok()) {
        return std::move(mounts).error();
      }
      if (!record.anonymous_volumes.empty()) {
        // The record was inserted before the volumes existed; note them now.
        store_->set_anonymous_volumes(record.id, record.anonymous_volumes);
      }
      auto network = place_network(record, rootfs->config);
      if (!network.ok()) {
        return std::move(network).error();
      }
      return prepare_bundle(record, *rootfs, *mounts, *network);
    }();
    if (!finished.ok()) {
      discard(record, true);
      return std::move(finished).error();
    }
    return record.id;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what());
  }
}

// -P's ports, known once the image is, and the container's first network.
sdk::Result<NetworkPlacement> ContainerService::place_network(ContainerRecord &record,
                                                              const json &image_config) {
  auto &config = record.config;
  if (config.publish_all) {
    auto exposed = exposed_ports(image_config);
    if (!exposed.ok()) {
      return std::move(exposed).error();
    }
    config.ports.insert(config.ports.end(), exposed->begin(), exposed->end());
    config.publish_all = false; // resolved: a restart publishes the same ports
    store_->set_config(record.id, config);
  }
  if (env_.networks == nullptr) {
    if (!config.ports.empty()) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "publishing ports needs a network section in the stack (see "
                             "docs/network.md)",
                             "--publish");
    }
    return NetworkPlacement{config.network == "host", ""};
  }
  return env_.networks->join(record.id, config.network, config.network_aliases, config.ip,
                             !config.ports.empty());
}

// Undoes create: mount, snapshot, anonymous volumes, directory, row.
void ContainerService::discard(const ContainerRecord &record, bool remove_row) {
  if (env_.networks != nullptr) {
    (void)env_.networks->forget(record.id);
  }
  const auto home = dir(record.id);
  if (is_mount_point(home / "rootfs")) {
    (void)sdk::unmount(home / "rootfs");
  }
  (void)images_.remove_container(container_snapshot_key(record.id));
  for (const auto &volume : record.anonymous_volumes) {
    (void)volumes_->remove(volume);
  }
  // The row goes before the directory, as in remove_record: a row whose
  // directory is gone is then always left by a crash, never by a command
  // still at work (see recover_after_reboot).
  if (remove_row) {
    store_->remove(record.id);
  }
  std::error_code ec;
  fs::remove_all(home, ec);
}

sdk::Result<void> ContainerService::ensure_rootfs(const ContainerRecord &record) {
  const auto target = dir(record.id) / "rootfs";
  if (is_mount_point(target)) {
    return {};
  }
  auto mounts = images_.container_mounts(container_snapshot_key(record.id));
  if (!mounts.ok()) {
    return std::move(mounts).error();
  }
  return sdk::mount_all(*mounts, target);
}

// A monitor that died (kill -9, OOM of the shim itself) leaves a state that
// says running: the container is stopped here, since nobody watches it any
// more, and recorded as killed.
void ContainerService::reconcile(const ContainerRecord &record, MonitorState &state) {
  if (state.status == "exited" || monitor_alive(dir(record.id))) {
    return;
  }
  if (auto backend = backend_for(record); backend.ok()) {
    (void)(*backend)->remove(record.id);
  }
  release_network(record.id);
  state.error =
      "berth-shim (pid " + std::to_string(state.monitor_pid) + ") died; the container was stopped";
  state.status = "exited";
  state.exit_code = 137;
  state.pid = 0;
  state.finished_at = rfc3339_now();
  (void)write_monitor_state(dir(record.id), state);
}

sdk::Result<ContainerView> ContainerService::view_of(const ContainerRecord &record) {
  ContainerView view;
  view.record = record;
  if (auto state = read_monitor_state(dir(record.id))) {
    view.state = *state;
    reconcile(record, view.state);
  }
  return view;
}

sdk::Result<ContainerView> ContainerService::view(const std::string &reference) {
  try {
    auto record = store_->find(reference);
    if (!record.ok()) {
      return std::move(record).error();
    }
    return view_of(*record);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), reference);
  }
}

namespace {

// The program and arguments a bundle runs. Only process.args is kept while
// parsing: the rest of the spec, its seccomp profile above all, is large.
std::vector<std::string> spec_args(const fs::path &spec_file) {
  const auto text = read_text(spec_file); // a string parses far faster than a stream
  const auto keep = [](int depth, json::parse_event_t event, json &parsed) {
    if (event != json::parse_event_t::key) {
      return true;
    }
    const auto &key = parsed.get_ref<const std::string &>();
    return depth == 1 ? key == "process" : depth != 2 || key == "args";
  };
  const auto spec = json::parse(text, keep, false);
  if (!spec.is_object() || !spec.contains("process") || !spec["process"].is_object()) {
    return {};
  }
  return spec["process"].value("args", std::vector<std::string>{});
}

} // namespace

std::vector<std::string> ContainerService::listed_args(const ContainerRecord &record,
                                                       std::map<std::string, json> &image_configs) {
  auto found = image_configs.find(record.image_id);
  if (found == image_configs.end()) {
    auto inspected = images_.inspect(record.image_id);
    const auto config = inspected.ok() ? inspected->value("Config", json()) : json();
    found = image_configs.emplace(record.image_id, json{{"config", config}}).first;
  }
  // An image removed under the container: the spec still says.
  return found->second["config"].is_object() ? container_args(record.config, found->second)
                                             : spec_args(dir(record.id) / "config.json");
}

sdk::Result<std::vector<ContainerView>> ContainerService::list(bool all) {
  try {
    std::vector<ContainerView> views;
    std::map<std::string, json> image_configs; // by image id: most containers share a few
    for (const auto &record : store_->list()) {
      auto view = view_of(record);
      if (view.ok() && (all || view->running())) {
        view->args = listed_args(record, image_configs);
        if (env_.networks != nullptr && view->running()) {
          view->ports = env_.networks->ports(record.id);
        }
        views.push_back(std::move(view).value());
      }
    }
    return views;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what());
  }
}

sdk::Result<std::shared_ptr<sdk::IsolationBackend>>
ContainerService::backend_for(const ContainerRecord &record) {
  auto runtime = env_.runtime_info(record.runtime);
  if (!runtime.ok()) {
    return std::move(runtime).error();
  }
  return env_.make_runtime(*runtime);
}

sdk::Result<void> ContainerService::remove_record(const ContainerRecord &record, bool volumes) {
  if (auto backend = backend_for(record); backend.ok()) {
    (void)(*backend)->remove(record.id);
  }
  if (env_.networks != nullptr) {
    if (auto forgotten = env_.networks->forget(record.id); !forgotten.ok()) {
      return forgotten;
    }
  }
  const auto home = dir(record.id);
  if (is_mount_point(home / "rootfs")) {
    if (auto unmounted = sdk::unmount(home / "rootfs"); !unmounted.ok()) {
      return unmounted;
    }
  }
  if (auto removed = images_.remove_container(container_snapshot_key(record.id)); !removed.ok()) {
    return removed;
  }
  store_->remove(record.id);
  std::error_code ec;
  fs::remove_all(home, ec);
  if (volumes) {
    for (const auto &volume : record.anonymous_volumes) {
      if (store_->users_of_volume(volume).empty()) {
        (void)volumes_->remove(volume);
      }
    }
  }
  return {};
}

sdk::Result<void> ContainerService::remove(const std::string &reference, bool force, bool volumes) {
  try {
    auto current = view(reference);
    if (!current.ok()) {
      return std::move(current).error();
    }
    const auto &record = current->record;
    if (current->running()) {
      if (!force) {
        return sdk::make_error(sdk::Errc::busy,
                               "cannot remove container \"/" + record.name +
                                   "\": container is running: stop it first (berth stop " +
                                   record.name + ") or force remove (berth rm -f)");
      }
      (void)write_text(dir(record.id) / monitor_files::kStopRequested, "");
      if (auto stopped = stop_record(record, 0, SIGKILL); !stopped.ok()) {
        return stopped;
      }
    }
    // Wait for the monitor to let go, so nothing of the container is in use.
    wait_for_monitor(record.id);
    return remove_record(record, volumes);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), reference);
  }
}

sdk::Result<std::vector<std::string>> ContainerService::prune() {
  auto views = list(true);
  if (!views.ok()) {
    return std::move(views).error();
  }
  std::vector<std::string> removed;
  for (const auto &view : *views) {
    if (!view.running() && !monitor_alive(dir(view.record.id))) {
      if (auto gone = remove_record(view.record, false); !gone.ok()) {
        return std::move(gone).error();
      }
      removed.push_back(view.record.id);
    }
  }
  return removed;
}

// Docker's Mounts: the volumes and binds the user asked for, read back from
// the spec so that image VOLUMEs appear with their destinations too.
sdk::Result<void> ContainerService::connect_network(const std::string &network,
                                                    const std::string &reference,
                                                    const std::vector<std::string> &aliases,
                                                    const std::string &ip) {
  if (env_.networks == nullptr) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "the stack has no network section; add one (see docs/network.md)");
  }
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  const auto &id = current->record.id;
  auto joined = env_.networks->join(id, network, aliases, ip, false);
  if (!joined.ok()) {
    return with_context(std::move(joined).error(), current->record.name);
  }
  if (joined->host) {
    (void)env_.networks->leave(id, network);
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "a container cannot be connected to the host's network; run it with "
                           "--network host instead",
                           network);
  }
  if (!current->running()) {
    return {};
  }
  if (auto attached = env_.networks->attach_running(id, network); !attached.ok()) {
    (void)env_.networks->detach_running(id, network);
    (void)env_.networks->leave(id, network);
    return with_context(std::move(attached).error(), current->record.name);
  }
  return {};
}

sdk::Result<void> ContainerService::disconnect_network(const std::string &network,
                                                       const std::string &reference, bool force) {
  if (env_.networks == nullptr) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "the stack has no network section; add one (see docs/network.md)");
  }
  auto current = view(reference);
  if (!current.ok()) {
    if (force) {
      return {}; // Docker's -f: the container may be gone already
    }
    return std::move(current).error();
  }
  const auto &id = current->record.id;
  if (current->running()) {
    if (auto detached = env_.networks->detach_running(id, network); !detached.ok()) {
      return with_context(std::move(detached).error(), current->record.name);
    }
  }
  auto left = env_.networks->leave(id, network);
  if (!left.ok()) {
    return with_context(std::move(left).error(), current->record.name);
  }
  return {};
}

} // namespace berth
