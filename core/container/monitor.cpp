#include "container/monitor.hpp"

#include "util/fd.hpp"
#include "util/private_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace berth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// sun_path holds 108 bytes; a directory fd under /proc/self/fd keeps any
// container directory reachable whatever its length.
sockaddr_un socket_address(int dir_fd, const char *name) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto path = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  return address;
}

} // namespace

sdk::Result<LogOptions> log_options(const std::map<std::string, std::string> &options) {
  LogOptions log;
  for (const auto &[key, value] : options) {
    if (key == "max-size") {
      auto size = parse_size("--log-opt max-size", value);
      if (!size.ok()) {
        return std::move(size).error();
      }
      if (*size <= 0) {
        return sdk::make_error(sdk::Errc::invalid_argument, "--log-opt max-size must be positive");
      }
      log.max_size = static_cast<std::uint64_t>(*size);
    } else if (key == "max-file") {
      try {
        log.max_files = std::stoi(value);
      } catch (const std::exception &) {
        log.max_files = 0;
      }
      if (log.max_files < 1) {
        return sdk::make_error(sdk::Errc::invalid_argument,
                               "invalid value \"" + value +
                                   "\" for --log-opt max-file: expected a count of 1 or more");
      }
    } else {
      return sdk::make_error(sdk::Errc::invalid_argument, "unknown log option '" + key +
                                                              "' for the json-file driver "
                                                              "(have: max-size, max-file)");
    }
  }
  return log;
}

json to_json(const MonitorConfig &c) {
  return {{"id", c.id},
          {"bundle", c.bundle},
          {"engineRoot", c.engine_root},
          {"plugin", c.plugin},
          {"pluginFile", c.plugin_file},
          {"pluginOptions", c.plugin_options},
          {"tty", c.tty},
          {"stdinOpen", c.stdin_open},
          {"waitForAttach", c.wait_for_attach},
          {"log", {{"maxSize", c.log.max_size}, {"maxFiles", c.log.max_files}}},
          {"restart", {{"name", c.restart.name}, {"maxRetries", c.restart.max_retries}}},
          {"onExit", c.on_exit},
          {"network", c.network},
          {"heldFds", c.held_fds}};
}

sdk::Result<MonitorConfig> read_monitor_config(const fs::path &dir) {
  const auto file = dir / monitor_files::kConfig;
  std::ifstream in(file);
  if (!in) {
    return sdk::errno_error("open", file.string());
  }
  try {
    const auto j = json::parse(in);
    MonitorConfig c;
    c.id = j.at("id").get<std::string>();
    c.bundle = j.at("bundle").get<std::string>();
    c.engine_root = j.at("engineRoot").get<std::string>();
    c.plugin = j.at("plugin").get<std::string>();
    c.plugin_file = j.at("pluginFile").get<std::string>();
    c.plugin_options = j.value("pluginOptions", json::object());
    c.tty = j.value("tty", false);
    c.stdin_open = j.value("stdinOpen", false);
    c.wait_for_attach = j.value("waitForAttach", false);
    const auto log = j.value("log", json::object());
    c.log.max_size = log.value("maxSize", c.log.max_size);
    c.log.max_files = log.value("maxFiles", c.log.max_files);
    const auto restart = j.value("restart", json::object());
    c.restart = {restart.value("name", "no"), restart.value("maxRetries", 0)};
    c.on_exit = j.value("onExit", std::vector<std::string>{});
    c.network = j.value("network", false);
    c.held_fds = j.value("heldFds", std::vector<int>{});
    return c;
  } catch (const json::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), file.string());
  }
}

sdk::Result<void> write_monitor_config(const fs::path &dir, const MonitorConfig &config) {
  return write_file_atomically(dir / monitor_files::kConfig, to_json(config).dump(2), 0600, false);
}

json to_json(const MonitorState &s) {
  return {{"status", s.status},
          {"pid", s.pid},
          {"exitCode", s.exit_code},
          {"oomKilled", s.oom_killed},
          {"error", s.error},
          {"startedAt", s.started_at},
          {"finishedAt", s.finished_at},
          {"restartCount", s.restart_count},
          {"monitorPid", s.monitor_pid},
          {"pidStartTime", s.pid_start_time}};
}

std::optional<std::uint64_t> process_start_time(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (pid <= 0 || !std::getline(in, stat)) {
    return std::nullopt;
  }
  // The command name may hold spaces and parentheses: fields count from
  // the last ')'. starttime is field 22, the 20th after it.
  std::istringstream fields(stat.substr(stat.rfind(')') + 1));
  std::string field;
  for (int skipped = 0; skipped < 19; ++skipped) {
    if (!(fields >> field)) {
      return std::nullopt;
    }
  }
  std::uint64_t start = 0;
  return fields >> start ? std::optional<std::uint64_t>(start) : std::nullopt;
}

std::optional<MonitorState> read_monitor_state(const fs::path &dir) {
  std::ifstream in(dir / monitor_files::kState);
  if (!in) {
    return std::nullopt;
  }
  try {
    // Whole, then parsed: parsing from the stream costs a listing of many
    // containers several times more.
    std::stringstream text;
    text << in.rdbuf();
    const auto j = json::parse(text.str());
    MonitorState s;
    s.status = j.value("status", "created");
    s.pid = j.value("pid", 0);
    s.exit_code = j.value("exitCode", 0);
    s.oom_killed = j.value("oomKilled", false);
    s.error = j.value("error", "");
    s.started_at = j.value("startedAt", "");
    s.finished_at = j.value("finishedAt", "");
    s.restart_count = j.value("restartCount", 0);
    s.monitor_pid = j.value("monitorPid", 0);
    s.pid_start_time = j.value("pidStartTime", std::uint64_t{0});
    return s;
  } catch (const json::exception &) {
    return std::nullopt;
  }
}

sdk::Result<void> write_monitor_state(const fs::path &dir, const MonitorState &state) {
  return write_file_atomically(dir / monitor_files::kState, to_json(state).dump(), 0600, false);
}

namespace {

struct flock whole_file(short type) {
  struct flock range {};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  return range;
}

} // namespace

UniqueFd hold_monitor_lock(const fs::path &dir) {
  UniqueFd lock(::open((dir / monitor_files::kLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  auto range = whole_file(F_WRLCK);
  if (lock.get() < 0 || ::fcntl(lock.get(), F_SETLK, &range) != 0) {
    return {};
  }
  return lock;
}

// F_GETLK only asks: taking and dropping the lock here would be a second
// fd on the file in this process, harmless, but asking changes nothing.
bool monitor_alive(const fs::path &dir) {
  UniqueFd lock(::open((dir / monitor_files::kLock).c_str(), O_RDWR | O_CLOEXEC));
  if (lock.get() < 0) {
    return false;
  }
  auto range = whole_file(F_WRLCK);
  if (::fcntl(lock.get(), F_GETLK, &range) == 0 && range.l_type != F_UNLCK) {
    return true;
  }
  // A shim of an earlier berth, still running after an upgrade, holds an
  // flock instead; it must not be taken for dead (its container killed).
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) == 0) {
    ::flock(lock.get(), LOCK_UN);
    return false;
  }
  return errno == EWOULDBLOCK;
}

void wait_for_monitor_exit(const fs::path &dir) {
  UniqueFd lock(::open((dir / monitor_files::kLock).c_str(), O_RDONLY | O_CLOEXEC));
  if (lock.get() < 0) {
    return;
  }
  auto range = whole_file(F_RDLCK);
  int waited = 0;
  do {
    waited = ::fcntl(lock.get(), F_SETLKW, &range);
  } while (waited != 0 && errno == EINTR);
  ::flock(lock.get(), LOCK_SH); // an earlier berth's shim (see monitor_alive)
}

std::int64_t rfc3339_seconds(const std::string &time) {
  std::tm tm{};
  if (::strptime(time.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return 0;
  }
  return ::timegm(&tm);
}

std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch() %
                                                                          std::chrono::seconds(1))
                         .count();
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%09lldZ", static_cast<long long>(nanos));
  return text;
}

std::string encode_frame(Frame type, const std::string &payload) {
  std::string frame(5, '\0');
  frame[0] = static_cast<char>(type);
  const auto size = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) {
    frame[1 + i] = static_cast<char>((size >> (24 - 8 * i)) & 0xff);
  }
  return frame + payload;
}

std::optional<std::pair<Frame, std::string>> FrameReader::next() {
  if (buffer_.size() < 5) {
    return std::nullopt;
  }
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i) {
    size = (size << 8) | static_cast<unsigned char>(buffer_[1 + i]);
  }
  if (buffer_.size() < 5 + static_cast<std::size_t>(size)) {
    return std::nullopt;
  }
  auto frame = std::make_pair(static_cast<Frame>(buffer_[0]), buffer_.substr(5, size));
  buffer_.erase(0, 5 + static_cast<std::size_t>(size));
  return frame;
}

bool write_all(int fd, const std::string &data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

sdk::Result<UniqueFd> receive_fd(int sock) {
  char byte = 0;
  iovec io{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  if (::recvmsg(sock, &message, MSG_CMSG_CLOEXEC) < 0) {
    return sdk::errno_error("recvmsg", "console socket");
  }
  cmsghdr *header = CMSG_FIRSTHDR(&message);
  if (header == nullptr || header->cmsg_type != SCM_RIGHTS) {
    return sdk::make_error(sdk::Errc::io, "the runtime sent no terminal", "console socket");
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return UniqueFd(fd);
}

sdk::Result<int> connect_attach(const fs::path &dir) {
  UniqueFd dir_fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) {
    return sdk::errno_error("open", dir.string());
  }
  const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = socket_address(dir_fd.get(), monitor_files::kAttach);
  if (::connect(sock, reinterpret_cast<sockaddr *>(&address), sizeof address) < 0) {
    const int err = errno;
    ::close(sock);
    return sdk::errno_error("connect", (dir / monitor_files::kAttach).string(), err);
  }
  return sock;
}

sdk::Result<int> listen_attach(const fs::path &dir) {
  UniqueFd dir_fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) {
    return sdk::errno_error("open", dir.string());
  }
  ::unlink((dir / monitor_files::kAttach).c_str());
  const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  auto address = socket_address(dir_fd.get(), monitor_files::kAttach);
  if (::bind(sock, reinterpret_cast<sockaddr *>(&address), sizeof address) < 0 ||
      ::listen(sock, 16) < 0) {
    const int err = errno;
    ::close(sock);
    return sdk::errno_error("listen", (dir / monitor_files::kAttach).string(), err);
  }
  return sock;
}

} // namespace berth
