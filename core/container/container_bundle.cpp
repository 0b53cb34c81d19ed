// The bundle berth-shim starts from: config.json and the files a container
// gets from the host (hostname, hosts, resolv.conf).
#include "container/container_files.hpp"
#include "container/container_service.hpp"

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

sdk::Result<json> resolve_seccomp(const ContainerConfig &config) {
  const auto caps = effective_capabilities(config);
  if (config.seccomp.empty()) {
    return default_seccomp_profile(caps);
  }
  if (config.seccomp == "unconfined") {
    return json();
  }
  return load_seccomp_profile_file(config.seccomp, caps);
}

} // namespace

sdk::Result<void> ContainerService::prepare_bundle(const ContainerRecord &record,
                                                   const ContainerRootfs &rootfs,
                                                   const std::vector<ResolvedMount> &mounts,
                                                   const NetworkPlacement &network) {
  const auto home = dir(record.id);
  const auto &config = record.config;
  SpecInputs in;
  in.id = record.id;
  in.config = config;
  in.image_config = rootfs.config;
  in.rootfs = home / "rootfs";
  in.hostname = !config.hostname.empty() ? config.hostname
                : network.host           ? host_hostname()
                                         : record.id.substr(0, 12);
  in.host_network = network.host;
  in.netns = network.netns;
  in.hostname_file = home / "hostname";
  in.hosts_file = home / "hosts";
  in.resolv_file = home / "resolv.conf";
  in.mounts = mounts;
  in.init_binary = env_.helper_dir / "berth-init";
  if (config.init && !fs::exists(in.init_binary)) {
    return sdk::make_error(sdk::Errc::not_found,
                           "--init needs berth-init beside berth; reinstall berth",
                           in.init_binary.string());
  }
  for (const auto &[file, text] :
       {std::pair{in.hostname_file, in.hostname + "\n"},
        std::pair{in.hosts_file, hosts_file(in.hostname, config.extra_hosts, network.host)},
        std::pair{in.resolv_file, resolv_conf(config, network.host)}}) {
    if (auto written = write_text(file, text); !written.ok()) {
      return written;
    }
  }
  fs::create_directories(in.rootfs);
  if (auto mounted = sdk::mount_all(rootfs.mounts, in.rootfs); !mounted.ok()) {
    return mounted;
  }
  // -u wins; else the image's User, as in Docker (an image made to run
  // as nobody must not run as root because the user said nothing).
  const auto image_user =
      rootfs.config.value("config", json::object()).value("User", std::string{});
  const auto &wanted_user = config.user.empty() ? image_user : config.user;
  auto user = resolve_user(in.rootfs, wanted_user);
  if (!user.ok()) {
    return with_context(std::move(user).error(), config.user.empty()
                                                     ? "the image's User " + wanted_user
                                                     : "--user " + wanted_user);
  }
  in.user = std::move(user).value();
  auto seccomp = resolve_seccomp(config);
  if (!seccomp.ok()) {
    return std::move(seccomp).error();
  }
  in.seccomp = std::move(seccomp).value();
  auto spec = build_spec(in);
  if (!spec.ok()) {
    return std::move(spec).error();
  }
  // Docker makes a missing WORKDIR; the container may not be able to.
  const auto cwd = (*spec)["process"]["cwd"].get<std::string>();
  if (auto made = make_directories_in_root(in.rootfs, cwd); !made.ok()) {
    return made;
  }
  return write_text(home / "config.json", spec->dump(2));
}

} // namespace berth
