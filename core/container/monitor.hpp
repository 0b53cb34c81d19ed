// The contract between the engine and berth-shim, the per-container monitor:
// the files in a container's directory and the attach protocol.
//
//   shim.json   what the shim runs (written by the engine before it starts)
//   state.json  what happened (written by the shim, atomically)
//   shim.lock   held by a live shim: a free lock means the shim is gone
//   attach.sock frames both ways (see Frame)
//   container.log and container.log.N: json-file logs
#pragma once

#include "container/container_config.hpp"
#include "util/fd.hpp"

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

struct LogOptions {
  std::uint64_t max_size = std::uint64_t{10} * 1024 * 1024; // bytes per file before rotating
  int max_files = 3;                                        // the current file included
};

sdk::Result<LogOptions> log_options(const std::map<std::string, std::string> &options);

struct MonitorConfig {
  std::string id;
  std::filesystem::path bundle;
  std::filesystem::path engine_root;
  std::string plugin; // runtime plugin name
  std::filesystem::path plugin_file;
  nlohmann::json plugin_options = nlohmann::json::object();
  bool tty = false;
  bool stdin_open = false;
  bool wait_for_attach = false; // start only once a client attached (run, start -a)
  LogOptions log;
  RestartPolicy restart;
  std::vector<std::string> on_exit; // a command run after the last exit (--rm -d)
  bool network = false;             // detach the container's networks after the last exit
  std::vector<int> held_fds;        // inherited sockets holding published ports
};

struct MonitorState {
  std::string status = "created"; // created | running | restarting | exited
  int pid = 0;
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;
  std::string started_at; // RFC 3339 with nanoseconds
  std::string finished_at;
  int restart_count = 0;
  int monitor_pid = 0;
  // /proc/PID/stat's starttime of pid when the shim recorded it: a pid read
  // back later names the same process only while this still matches.
  std::uint64_t pid_start_time = 0;
};

// /proc/PID/stat's starttime (clock ticks since boot), or nullopt when no
// such process runs.
std::optional<std::uint64_t> process_start_time(int pid);

nlohmann::json to_json(const MonitorConfig &config);
sdk::Result<MonitorConfig> read_monitor_config(const std::filesystem::path &dir);
sdk::Result<void> write_monitor_config(const std::filesystem::path &dir,
                                       const MonitorConfig &config);
nlohmann::json to_json(const MonitorState &state);
std::optional<MonitorState> read_monitor_state(const std::filesystem::path &dir);
sdk::Result<void> write_monitor_state(const std::filesystem::path &dir, const MonitorState &state);

// Takes dir/shim.lock for the calling berth-shim, or returns an invalid fd
// when another shim holds it. A POSIX record lock, not flock: a container
// init cloned from the shim waits for `start` holding copies of the shim's
// fds, and would keep an flock (which belongs to the open file) after the
// shim died, so that no command could ever see the shim gone. Record locks
// belong to the process and are not inherited. The shim must not close
// another fd on the file while it runs (that would drop the lock).
sdk::UniqueFd hold_monitor_lock(const std::filesystem::path &dir);

// True while a shim holds dir/shim.lock.
bool monitor_alive(const std::filesystem::path &dir);
// Blocks until no shim holds dir/shim.lock.
void wait_for_monitor_exit(const std::filesystem::path &dir);

// Now, as Docker prints times: 2026-11-22T16:00:00.123456789Z.
std::string rfc3339_now();
// Seconds since the epoch of an RFC 3339 time (its fraction dropped); 0 when
// it does not parse.
std::int64_t rfc3339_seconds(const std::string &time);

namespace monitor_files {
inline constexpr const char *kConfig = "shim.json";
inline constexpr const char *kState = "state.json";
inline constexpr const char *kLock = "shim.lock";
inline constexpr const char *kAttach = "attach.sock";
inline constexpr const char *kConsole = "console.sock";
inline constexpr const char *kLog = "container.log";
inline constexpr const char *kStopRequested = "stop-requested";
} // namespace monitor_files

// Attach frames: type byte, 4-byte big-endian length, payload.
enum class Frame : std::uint8_t {
  stdin_data = 0,  // client -> shim
  stdout_data = 1, // shim -> client
  stderr_data = 2,
  exit = 3,        // shim -> client: {"exitCode":N,"oomKilled":bool}
  stdin_close = 4, // client -> shim
  resize = 5,      // client -> shim: {"rows":R,"cols":C}
  signal = 6,      // client -> shim: {"signal":N}
  hello = 7,       // client -> shim first: {"stdin":bool,"output":bool}
};

std::string encode_frame(Frame type, const std::string &payload);

// Accumulates bytes and yields whole frames.
class FrameReader {
public:
  void feed(const char *data, std::size_t size) { buffer_.append(data, size); }
  // The next whole frame, if one has arrived.
  std::optional<std::pair<Frame, std::string>> next();

private:
  std::string buffer_;
};

// Writes all of data, retrying on EINTR; false on any other failure.
bool write_all(int fd, const std::string &data);

// Receives one fd sent with SCM_RIGHTS (a console socket's pty master).
sdk::Result<UniqueFd> receive_fd(int sock);

// Connects to dir/attach.sock (a path longer than sun_path is fine).
sdk::Result<int> connect_attach(const std::filesystem::path &dir);
// Binds and listens on dir/attach.sock.
sdk::Result<int> listen_attach(const std::filesystem::path &dir);

} // namespace berth
