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

constexpr int kKillPatienceMs = 30000; // after SIGKILL, the monitor reports within this

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

sdk::Result<void> write_text(const fs::path &file, const std::string &text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  if (!out.flush()) {
    return sdk::errno_error("write", file.string());
  }
  return {};
}

// The host's resolvers minus loopback ones, which mean nothing inside a
// container's own network namespace; Google's as Docker's last resort.
std::string resolv_conf() {
  std::ifstream in("/etc/resolv.conf");
  std::string line;
  std::string kept;
  bool nameserver = false;
  while (std::getline(in, line)) {
    if (line.starts_with("nameserver")) {
      std::stringstream fields(line);
      std::string word;
      std::string address;
      fields >> word >> address;
      if (address.starts_with("127.") || address == "::1") {
        continue;
      }
      nameserver = true;
    }
    kept += line + "\n";
  }
  if (!nameserver) {
    kept += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  }
  return kept;
}

std::string read_text(const fs::path &file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// --add-host's "name:ip" as /etc/hosts lines; create checked them.
std::vector<std::string> extra_host_lines(const std::vector<std::string> &extra) {
  std::vector<std::string> lines;
  lines.reserve(extra.size());
  for (const auto &entry : extra) {
    if (auto line = parse_add_host(entry); line.ok()) {
      lines.push_back(*line);
    }
  }
  return lines;
}

// What /etc/hosts holds until the network service writes the container's
// addresses at start: the host's own with the host's network.
std::string hosts_file(const std::string &hostname, const std::vector<std::string> &extra,
                       bool host_network) {
  std::string text = host_network ? read_text("/etc/hosts")
                                  : "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                    "ip6-loopback\n127.0.1.1\t" +
                                        hostname + "\n";
  for (const auto &line : extra_host_lines(extra)) {
    text += line + "\n";
  }
  return text;
}

json port_bindings(const std::vector<PublishedPort> &ports) {
  json bindings = json::object();
  for (const auto &port : ports) {
    bindings[std::to_string(port.container_port) + "/" + port.protocol].push_back(
        {{"HostIp", port.host_ip},
         {"HostPort", port.host_port == 0 ? "" : std::to_string(port.host_port)}});
  }
  return bindings;
}

// --dns and friends as given; else the host's (as is with its network).
std::string resolv_conf(const ContainerConfig &config, bool host_network) {
  if (config.dns.empty() && config.dns_search.empty() && config.dns_options.empty()) {
    return host_network ? read_text("/etc/resolv.conf") : resolv_conf();
  }
  std::string text;
  for (const auto &server : config.dns) {
    text += "nameserver " + server + "\n";
  }
  if (!config.dns_search.empty()) {
    text += "search " + join(config.dns_search, " ") + "\n";
  }
  if (!config.dns_options.empty()) {
    text += "options " + join(config.dns_options, " ") + "\n";
  }
  return text;
}

std::string host_hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

std::time_t parse_time(const std::string &rfc3339) {
  std::tm tm{};
  if (::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return 0;
  }
  return ::timegm(&tm);
}

std::string ago(const std::string &rfc3339) {
  const auto seconds =
      std::max<long>(0, static_cast<long>(std::time(nullptr) - parse_time(rfc3339)));
  if (seconds < 1) {
    return "Less than a second";
  }
  if (seconds < 60) {
    return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
  }
  if (seconds < 3600) {
    const auto m = seconds / 60;
    return m == 1 ? "About a minute" : std::to_string(m) + " minutes";
  }
  if (seconds < 86400) {
    const auto h = seconds / 3600;
    return h == 1 ? "About an hour" : std::to_string(h) + " hours";
  }
  return std::to_string(seconds / 86400) + " days";
}

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

sdk::Error with_context(sdk::Error error, const std::string &context) {
  if (error.context.empty()) {
    error.context = context;
  }
  return error;
}

// The monitor's events on the ready pipe, one JSON object per line.
class ReadyReader {
public:
  explicit ReadyReader(int fd) : fd_(fd) {}
  std::optional<json> next() {
    while (true) {
      const auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        auto event = json::parse(buffer_.substr(0, newline), nullptr, false);
        buffer_.erase(0, newline + 1);
        return event;
      }
      char chunk[4096];
      const auto n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

private:
  int fd_;
  std::string buffer_;
};

sdk::Errc errc_from_name(const std::string &name) {
  for (auto code : {sdk::Errc::invalid_argument, sdk::Errc::not_found, sdk::Errc::already_exists,
                    sdk::Errc::busy, sdk::Errc::unsupported, sdk::Errc::unavailable,
                    sdk::Errc::permission, sdk::Errc::io, sdk::Errc::cancelled}) {
    if (name == sdk::errc_name(code)) {
      return code;
    }
  }
  return sdk::Errc::internal;
}

sdk::Error event_error(const std::optional<json> &event, const std::string &id) {
  if (!event || !event->is_object()) {
    return sdk::make_error(sdk::Errc::internal,
                           "berth-shim exited before reporting; see the kernel log", id);
  }
  return sdk::make_error(errc_from_name(event->value("code", "internal")),
                         event->value("message", "the container failed to start"));
}

// What the vfork()ed child does before it becomes berth-shim: only system
// calls, on memory the parent prepared, since it borrows the parent's.
[[noreturn]] void become_detached_monitor(const char *program, const char *dir, const char *ready,
                                          int ready_fd, const std::vector<int> &held,
                                          const sigset_t &unblocked) {
  ::setsid();
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) {
    ::dup2(null, fd);
  }
  // The monitor inherits nothing of ours but the ready pipe and the
  // sockets that hold its published ports.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::fcntl(ready_fd, F_SETFD, 0);
  for (const int fd : held) {
    ::fcntl(fd, F_SETFD, 0);
  }
  ::sigprocmask(SIG_SETMASK, &unblocked, nullptr);
  ::execl(program, program, dir, ready, nullptr);
  ::_exit(127);
}

// Apart from spawn_detached, so that no C++ object lives across vfork().
int vfork_monitor(const char *program, const char *dir, const char *ready, int ready_fd,
                  const std::vector<int> &held, const sigset_t &unblocked) {
  const int child = ::vfork();
  if (child == 0) {
    become_detached_monitor(program, dir, ready, ready_fd, held, unblocked);
  }
  return child;
}

// berth-shim forks once more as it starts, so the monitor is nobody's child
// here: the command can exit and the monitor lives on without a zombie or a
// session tie. vfork, not fork: copying this process's page tables (every
// plugin and library mapped) twice cost more than the rest of the spawn.
sdk::Result<UniqueFd> spawn_detached(const fs::path &program, const fs::path &dir,
                                     const std::vector<int> &held) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) {
    return sdk::errno_error("pipe2", dir.string());
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  const auto ready = std::to_string(write_end.get());
  sigset_t unblocked;
  sigemptyset(&unblocked);
  const int child =
      vfork_monitor(program.c_str(), dir.c_str(), ready.c_str(), write_end.get(), held, unblocked);
  if (child < 0) {
    return sdk::errno_error("vfork", dir.string());
  }
  write_end.reset();
  ::waitpid(child, nullptr, 0);
  return read_end;
}

sdk::Result<void> send_frame(int fd, Frame type, const json &payload) {
  if (!write_all(fd, encode_frame(type, payload.dump()))) {
    return sdk::errno_error("write", "attach socket");
  }
  return {};
}

sdk::Result<UniqueFd> receive_master(int listener) {
  UniqueFd connection(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (connection.get() < 0) {
    return sdk::errno_error("accept", "console socket");
  }
  return receive_fd(connection.get());
}

} // namespace

std::string container_snapshot_key(const std::string &id) {
  return "container-" + id;
}

sdk::Result<int> read_until_exit(int fd,
                                 const std::function<void(Frame, const std::string &)> &on_frame,
                                 int timeout_ms) {
  FrameReader reader;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int wait = -1;
    if (timeout_ms >= 0) {
      wait =
          static_cast<int>(std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 deadline - std::chrono::steady_clock::now())
                                                 .count()));
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      return sdk::make_error(sdk::Errc::busy, "timed out waiting for the container to stop");
    }
    char buffer[65536];
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return sdk::make_error(sdk::Errc::io, "the monitor closed the connection without an exit");
    }
    reader.feed(buffer, static_cast<std::size_t>(n));
    while (auto frame = reader.next()) {
      if (frame->first == Frame::exit) {
        const auto exit = json::parse(frame->second, nullptr, false);
        return exit.is_object() ? exit.value("exitCode", 0) : 0;
      }
      if (on_frame) {
        on_frame(frame->first, frame->second);
      }
    }
  }
}

std::string ContainerView::created_text() const {
  return ago(record.created) + " ago";
}

std::string ContainerView::ports_text() const {
  std::vector<std::string> items;
  items.reserve(ports.size());
  for (const auto &port : ports) {
    items.push_back((port.host_ip.empty() ? "0.0.0.0" : port.host_ip) + ":" +
                    std::to_string(port.host_port) + "->" + std::to_string(port.container_port) +
                    "/" + port.protocol);
  }
  return join(items, ", ");
}

std::string ContainerView::status_text() const {
  if (state.status == "running") {
    return "Up " + ago(state.started_at);
  }
  if (state.status == "restarting") {
    return "Restarting (" + std::to_string(state.exit_code) + ") " + ago(state.finished_at) +
           " ago";
  }
  if (state.status == "exited" && !state.finished_at.empty()) {
    return "Exited (" + std::to_string(state.exit_code) + ") " + ago(state.finished_at) + " ago";
  }
  return "Created";
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

std::vector<std::string> ContainerService::volume_users(const std::string &name) {
  return store_->users_of_volume(name);
}

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

sdk::Result<UniqueFd> ContainerService::spawn_monitor(const ContainerRecord &record, bool attach,
                                                      const std::vector<UniqueFd> &held) {
  auto runtime = env_.runtime_info(record.runtime);
  if (!runtime.ok()) {
    return std::move(runtime).error();
  }
  auto logs = log_options(record.config.log_options);
  if (!logs.ok()) {
    return std::move(logs).error();
  }
  MonitorConfig monitor;
  monitor.id = record.id;
  monitor.bundle = dir(record.id);
  monitor.engine_root = env_.root;
  monitor.plugin = runtime->plugin;
  monitor.plugin_file = runtime->plugin_file;
  monitor.plugin_options = runtime->options;
  monitor.tty = record.config.tty;
  monitor.stdin_open = record.config.interactive;
  monitor.wait_for_attach = attach;
  monitor.log = *logs;
  monitor.restart = record.config.restart;
  monitor.network = env_.networks != nullptr;
  for (const auto &fd : held) {
    monitor.held_fds.push_back(fd.get());
  }
  // An attached `run --rm` removes the container itself once it has the
  // exit code; only a detached one leaves the removal to the monitor.
  if (record.config.auto_remove && !attach && !env_.remove_command.empty()) {
    monitor.on_exit = env_.remove_command;
    monitor.on_exit.push_back(record.id);
  }
  if (auto written = write_monitor_config(dir(record.id), monitor); !written.ok()) {
    return std::move(written).error();
  }
  return spawn_detached(env_.helper_dir / "berth-shim", dir(record.id), monitor.held_fds);
}

sdk::Result<UniqueFd> ContainerService::start(const std::string &reference, bool attach) {
  try {
    auto record = store_->find(reference);
    if (!record.ok()) {
      return std::move(record).error();
    }
    auto current = view_of(*record);
    if (current.ok() && current->running()) {
      if (!attach) {
        return UniqueFd();
      }
      return attach_for_control(*record);
    }
    if (auto mounted = ensure_rootfs(*record); !mounted.ok()) {
      return std::move(mounted).error();
    }
    wait_for_monitor(record->id); // the last one may still be letting go of the network
    std::error_code ec;
    fs::remove(dir(record->id) / monitor_files::kStopRequested, ec);
    SandboxSetup sandbox;
    if (env_.networks != nullptr) {
      auto made = env_.networks->setup(sandbox_request(*record));
      if (!made.ok()) {
        return with_context(std::move(made).error(), record->name);
      }
      sandbox = std::move(made).value();
    }
    auto ready = spawn_monitor(*record, attach, sandbox.port_sockets);
    if (!ready.ok()) {
      release_network(record->id);
      return std::move(ready).error();
    }
    ReadyReader events(ready->get());
    auto event = events.next();
    if (!event || event->value("event", "") != "created") {
      wait_for_monitor(record->id);
      release_network(record->id);
      return with_context(event_error(event, record->name), record->name);
    }
    UniqueFd connection;
    if (attach) {
      auto connected = connect_attach(dir(record->id));
      if (!connected.ok()) {
        return std::move(connected).error();
      }
      connection.reset(*connected);
      if (auto hello = send_frame(connection.get(), Frame::hello,
                                  {{"stdin", record->config.interactive}, {"output", true}});
          !hello.ok()) {
        return std::move(hello).error();
      }
    }
    event = events.next();
    if (!event || event->value("event", "") != "started") {
      return with_context(event_error(event, record->name), record->name);
    }
    return connection;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), reference);
  }
}

SandboxRequest ContainerService::sandbox_request(const ContainerRecord &record) const {
  const auto home = dir(record.id);
  SandboxRequest request;
  request.container = record.id;
  request.name = record.name;
  std::ifstream hostname(home / "hostname");
  std::getline(hostname, request.hostname);
  request.ports = record.config.ports;
  request.extra_hosts = extra_host_lines(record.config.extra_hosts);
  request.hosts_file = home / "hosts";
  request.resolv_file = home / "resolv.conf";
  request.custom_dns = !record.config.dns.empty();
  return request;
}

void ContainerService::release_network(const std::string &id) {
  if (env_.networks != nullptr) {
    (void)env_.networks->teardown(id);
  }
}

// Blocks until no monitor holds the container's lock: a monitor that
// recorded the exit may still be detaching the network.
void ContainerService::wait_for_monitor(const std::string &id) {
  wait_for_monitor_exit(dir(id));
}

sdk::Result<UniqueFd> ContainerService::attach_for_control(const ContainerRecord &record) {
  auto connected = connect_attach(dir(record.id));
  if (!connected.ok()) {
    return std::move(connected).error();
  }
  UniqueFd connection(*connected);
  if (auto hello = send_frame(connection.get(), Frame::hello,
                              {{"stdin", record.config.interactive}, {"output", true}});
      !hello.ok()) {
    return std::move(hello).error();
  }
  return connection;
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

sdk::Result<std::vector<ContainerView>> ContainerService::list(bool all) {
  try {
    std::vector<ContainerView> views;
    for (const auto &record : store_->list()) {
      auto view = view_of(record);
      if (view.ok() && (all || view->running())) {
        // Only listings show the command as run; it is in the spec.
        std::ifstream in(dir(record.id) / "config.json");
        const auto spec = json::parse(in, nullptr, false);
        if (spec.is_object()) {
          view->args = spec["process"].value("args", std::vector<std::string>{});
        }
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

sdk::Result<void> ContainerService::stop_record(const ContainerRecord &record, int timeout_seconds,
                                                int signal) {
  auto connection = connect_attach(dir(record.id));
  if (!connection.ok()) {
    return {}; // no monitor: nothing runs
  }
  UniqueFd fd(*connection);
  // A monitor that closes the connection at once is exiting (the program
  // ended and stop-requested keeps it from restarting): nothing runs, as
  // when it is gone already; the caller waits for its lock.
  if (!send_frame(fd.get(), Frame::hello, {{"stdin", false}, {"output", false}}).ok()) {
    return {};
  }
  (void)send_frame(fd.get(), Frame::signal, {{"signal", signal}});
  if (signal != SIGKILL) {
    if (read_until_exit(fd.get(), nullptr, timeout_seconds * 1000).ok()) {
      return {};
    }
    (void)send_frame(fd.get(), Frame::signal, {{"signal", SIGKILL}});
  }
  auto exited = read_until_exit(fd.get(), nullptr, kKillPatienceMs);
  if (!exited.ok() && exited.error().code == sdk::Errc::busy) {
    return with_context(std::move(exited).error(), record.name);
  }
  return {};
}

sdk::Result<void> ContainerService::stop(const std::string &reference, int timeout_seconds) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (!current->running() && current->state.status != "created") {
    return {};
  }
  if (auto written = write_text(dir(current->record.id) / monitor_files::kStopRequested, "");
      !written.ok()) {
    return written;
  }
  const int signal = stop_signal_for(current->record);
  if (auto stopped = stop_record(current->record, timeout_seconds, signal); !stopped.ok()) {
    return stopped;
  }
  wait_for_monitor(current->record.id);
  return {};
}

// --stop-signal, else the image's StopSignal, else SIGTERM, as in Docker.
int ContainerService::stop_signal_for(const ContainerRecord &record) {
  auto text = record.config.stop_signal;
  if (text.empty()) {
    auto image = images_.inspect(record.image_id);
    if (image.ok()) {
      text = image->value(nlohmann::json::json_pointer("/Config/StopSignal"), std::string{});
    }
  }
  return parse_signal(text).value_or(SIGTERM);
}

sdk::Result<std::shared_ptr<sdk::IsolationBackend>>
ContainerService::backend_for(const ContainerRecord &record) {
  auto runtime = env_.runtime_info(record.runtime);
  if (!runtime.ok()) {
    return std::move(runtime).error();
  }
  return env_.make_runtime(*runtime);
}

sdk::Result<ContainerView> ContainerService::running_view(const std::string &reference) {
  auto current = view(reference);
  if (current.ok() && !current->running()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "container " + current->record.name +
                               " is not running; start it first (berth start " +
                               current->record.name + ")");
  }
  return current;
}

sdk::Result<void> ContainerService::kill(const std::string &reference, int signal) {
  auto current = running_view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  auto connection = attach_for_control(current->record);
  if (!connection.ok()) {
    return std::move(connection).error();
  }
  if (signal == SIGKILL || signal == SIGTERM) {
    // A user's kill ends the restart loop, as docker kill does.
    (void)write_text(dir(current->record.id) / monitor_files::kStopRequested, "");
  }
  return send_frame(connection->get(), Frame::signal, {{"signal", signal}});
}

sdk::Result<void> ContainerService::restart(const std::string &reference, int timeout_seconds) {
  if (auto stopped = stop(reference, timeout_seconds); !stopped.ok()) {
    return stopped;
  }
  // The old monitor lets go of its lock once it has recorded the exit.
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  wait_for_monitor(current->record.id);
  auto started = start(reference, false);
  if (!started.ok()) {
    return std::move(started).error();
  }
  return {};
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

sdk::Result<int> ContainerService::wait(const std::string &reference) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (current->running()) {
    auto connection = connect_attach(dir(current->record.id));
    if (connection.ok()) {
      UniqueFd fd(*connection);
      (void)send_frame(fd.get(), Frame::hello, {{"stdin", false}, {"output", false}});
      auto code = read_until_exit(fd.get(), nullptr);
      if (code.ok()) {
        return code;
      }
    }
    current = view(reference);
    if (!current.ok()) {
      return std::move(current).error();
    }
  }
  return current->state.exit_code;
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

sdk::Result<std::vector<sdk::PortMapping>> ContainerService::ports(const std::string &reference) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (env_.networks == nullptr || !current->running()) {
    return std::vector<sdk::PortMapping>{};
  }
  return env_.networks->ports(current->record.id);
}

json ContainerService::mounts_json(const ContainerRecord &record, const json &spec) const {
  json mounts = json::array();
  if (!spec.is_object()) {
    return mounts;
  }
  const auto volumes_dir = (env_.root / "volumes").string() + "/";
  for (const auto &m : spec.value("mounts", json::array())) {
    const auto source = m.value("source", std::string{});
    const auto options = m.value("options", std::vector<std::string>{});
    const bool rw = std::find(options.begin(), options.end(), "ro") == options.end();
    const auto destination = m.value("destination", std::string{});
    if (source.starts_with(volumes_dir)) {
      const auto name = source.substr(volumes_dir.size(),
                                      source.find('/', volumes_dir.size()) - volumes_dir.size());
      const auto &anonymous = record.anonymous_volumes;
      mounts.push_back(
          {{"Type", "volume"},
           {"Name", name},
           {"Source", source},
           {"Destination", destination},
           {"RW", rw},
           {"Anonymous", std::find(anonymous.begin(), anonymous.end(), name) != anonymous.end()}});
      continue;
    }
    for (const auto &v : record.config.volumes) {
      if (v.kind == VolumeMount::Kind::bind && v.source == source && v.target == destination) {
        mounts.push_back(
            {{"Type", "bind"}, {"Source", source}, {"Destination", destination}, {"RW", rw}});
      }
    }
  }
  return mounts;
}

sdk::Result<nlohmann::json> ContainerService::inspect(const std::string &reference) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  const auto &r = current->record;
  const auto &s = current->state;
  const auto &c = r.config;
  const auto home = dir(r.id);
  json spec;
  {
    std::ifstream in(home / "config.json");
    spec = json::parse(in, nullptr, false);
  }
  const auto args = spec.is_object() ? spec["process"].value("args", std::vector<std::string>{})
                                     : std::vector<std::string>{};
  const auto mounts = mounts_json(r, spec);
  json ulimits = json::array();
  for (const auto &u : c.ulimits) {
    ulimits.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
  }
  json inspected{
      {"Id", r.id},
      {"Created", r.created},
      {"Path", args.empty() ? "" : args.front()},
      {"Args",
       args.empty() ? json::array() : json(std::vector<std::string>(args.begin() + 1, args.end()))},
      {"State",
       {{"Status", s.status},
        {"Running", s.status == "running"},
        {"Paused", false},
        {"Restarting", s.status == "restarting"},
        {"OOMKilled", s.oom_killed},
        {"Dead", false},
        {"Pid", s.pid},
        {"ExitCode", s.exit_code},
        {"Error", s.error},
        {"StartedAt", s.started_at},
        {"FinishedAt", s.finished_at}}},
      {"Image", r.image_id},
      {"Name", "/" + r.name},
      {"RestartCount", s.restart_count},
      {"Driver", env_.storage_driver},
      {"Platform", "linux"},
      {"LogPath", (home / monitor_files::kLog).string()},
      {"ResolvConfPath", (home / "resolv.conf").string()},
      {"HostnamePath", (home / "hostname").string()},
      {"HostsPath", (home / "hosts").string()},
      {"HostConfig",
       {{"Memory", c.memory},
        {"MemorySwap", c.memory > 0 && c.memory_swap == 0 ? c.memory * 2 : c.memory_swap},
        {"NanoCpus", static_cast<std::int64_t>(c.cpus * 1e9)},
        {"PidsLimit", c.pids_limit},
        {"ReadonlyRootfs", c.read_only},
        {"RestartPolicy", {{"Name", c.restart.name}, {"MaximumRetryCount", c.restart.max_retries}}},
        {"Init", c.init},
        {"Runtime", r.runtime},
        {"CapAdd", c.cap_add},
        {"CapDrop", c.cap_drop},
        {"SecurityOpt", c.seccomp.empty() ? json::array() : json::array({"seccomp=" + c.seccomp})},
        {"Ulimits", ulimits},
        {"NetworkMode", c.network.empty() ? "default" : c.network},
        {"PortBindings", port_bindings(c.ports)},
        {"ExtraHosts", c.extra_hosts},
        {"Dns", c.dns},
        {"AutoRemove", c.auto_remove},
        {"LogConfig", {{"Type", "json-file"}, {"Config", c.log_options}}}}},
      {"Mounts", mounts},
      {"NetworkSettings", env_.networks != nullptr && current->running()
                              ? env_.networks->settings(r.id)
                              : json{{"Networks", json::object()}, {"Ports", json::object()}}},
      {"Config",
       {{"Hostname", spec.is_object() ? spec.value("hostname", "") : ""},
        {"User", c.user},
        {"Env", spec.is_object() ? spec["process"].value("env", json::array()) : json::array()},
        {"Cmd", c.cmd},
        {"Entrypoint", c.entrypoint ? json(*c.entrypoint) : json()},
        {"Image", c.image},
        {"WorkingDir", spec.is_object() ? spec["process"].value("cwd", "") : ""},
        {"Labels", c.labels},
        {"Tty", c.tty},
        {"OpenStdin", c.interactive}}},
  };
  auto image = images_.inspect(r.image_id);
  add_image_defaults(inspected["Config"], c,
                     image.ok() ? image->value("Config", json::object()) : json::object());
  return inspected;
}

sdk::Result<void> ContainerService::logs(const std::string &reference, const LogRequest &request,
                                         const std::function<void(const LogLine &)> &print) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  const auto home = dir(current->record.id);
  const auto file = home / monitor_files::kLog;
  auto options = log_options(current->record.config.log_options);
  auto lines = read_log_lines(file, options.ok() ? options->max_files : 1);
  const auto skip = request.tail < 0 || static_cast<std::size_t>(request.tail) >= lines.size()
                        ? 0
                        : lines.size() - static_cast<std::size_t>(request.tail);
  for (std::size_t i = skip; i < lines.size(); ++i) {
    print(lines[i]);
  }
  if (!request.follow) {
    return {};
  }
  std::error_code ec;
  std::uint64_t offset = fs::exists(file) ? fs::file_size(file, ec) : 0;
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  ::inotify_add_watch(watch.get(), home.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO);
  // The monitor's lock tells when nothing more will come; inotify wakes us
  // for new lines, and a slow tick catches the monitor's exit.
  struct stat seen {};
  ::stat(file.c_str(), &seen);
  while (true) {
    const bool alive = monitor_alive(home);
    // Rotated since the last look: finish the old file (now .1) first.
    struct stat now {};
    if (::stat(file.c_str(), &now) == 0 && now.st_ino != seen.st_ino) {
      for (const auto &line : read_new_lines(file.string() + ".1", offset)) {
        print(line);
      }
      offset = 0;
      seen = now;
    }
    for (const auto &line : read_new_lines(file, offset)) {
      print(line);
    }
    if (!alive) {
      return {};
    }
    pollfd p{watch.get(), POLLIN, 0};
    constexpr int kExitCheckMs = 250;
    if (::poll(&p, 1, kExitCheckMs) > 0) {
      char buffer[4096];
      while (::read(watch.get(), buffer, sizeof buffer) > 0) {
      }
    }
  }
}

sdk::Result<ExecHandle> ContainerService::exec(const std::string &reference,
                                               const ExecRequest &request, const ExecIo &io) {
  try {
    auto current = view(reference);
    if (!current.ok()) {
      return std::move(current).error();
    }
    const auto &record = current->record;
    if (current->state.status != "running") {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "container " + record.name + " is not running; start it first");
    }
    json spec;
    {
      std::ifstream in(dir(record.id) / "config.json");
      spec = json::parse(in);
    }
    auto process = exec_process(spec, request, dir(record.id) / "rootfs");
    if (!process.ok()) {
      return std::move(process).error();
    }
    auto backend = backend_for(record);
    if (!backend.ok()) {
      return std::move(backend).error();
    }
    // The process's intermediate parent exits; we adopt it to wait for it.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    sdk::ProcessIo pio{io.stdin_fd, io.stdout_fd, io.stderr_fd, {}};
    UniqueFd listener;
    fs::path socket_dir;
    if (request.tty) {
      char pattern[] = "/tmp/berth-exec-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) {
        return sdk::errno_error("mkdtemp", "/tmp");
      }
      socket_dir = pattern;
      pio.console_socket = (socket_dir / "console.sock").string();
      listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::strncpy(address.sun_path, pio.console_socket.c_str(), sizeof address.sun_path - 1);
      if (::bind(listener.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) < 0 ||
          ::listen(listener.get(), 1) < 0) {
        fs::remove_all(socket_dir);
        return sdk::errno_error("listen", pio.console_socket);
      }
    }
    auto pid = (*backend)->exec(record.id, *process, pio);
    if (!pid.ok()) {
      pid = [&] {
        auto error = std::move(pid).error();
        error.context = record.name; // the backend only knows the id
        return sdk::Result<int>(std::move(error));
      }();
    }
    ExecHandle handle;
    if (pid.ok() && request.tty) {
      auto master = receive_master(listener.get());
      if (master.ok()) {
        handle.master = std::move(master).value();
      }
    }
    if (!socket_dir.empty()) {
      std::error_code ec;
      fs::remove_all(socket_dir, ec);
    }
    if (!pid.ok()) {
      return std::move(pid).error();
    }
    handle.pid = *pid;
    return handle;
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), reference);
  }
}

sdk::Result<sdk::ContainerStats> ContainerService::stats(const std::string &reference) {
  auto current = running_view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  auto backend = backend_for(current->record);
  if (!backend.ok()) {
    return std::move(backend).error();
  }
  return (*backend)->stats(current->record.id);
}

// A pid from state.json may have been reused by a host process since (the
// container died unwatched): opened first, then checked, the root fd is the
// container's only if the pid still has the start time the shim recorded.
sdk::Result<fs::path> ContainerService::running_root(const MonitorState &state) {
  const auto pid = std::to_string(state.pid);
  UniqueFd root(::open(("/proc/" + pid + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  const auto started = process_start_time(state.pid);
  if (!root.valid() || !started ||
      (state.pid_start_time != 0 && *started != state.pid_start_time)) {
    return sdk::make_error(sdk::Errc::unavailable,
                           "the container's process (pid " + pid +
                               ") is gone; run the command again once berth has recorded its exit");
  }
  held_roots_.push_back(std::move(root));
  return fs::path("/proc/self/fd") / std::to_string(held_roots_.back().get());
}

sdk::Result<fs::path> ContainerService::filesystem_root(const std::string &reference) {
  auto current = view(reference);
  if (!current.ok()) {
    return std::move(current).error();
  }
  if (current->state.status == "running" && current->state.pid > 0) {
    return running_root(current->state);
  }
  if (auto mounted = ensure_rootfs(current->record); !mounted.ok()) {
    return std::move(mounted).error();
  }
  return dir(current->record.id) / "rootfs";
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
