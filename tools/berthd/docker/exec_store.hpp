// Exec instances (docker exec): what POST /containers/{id}/exec asked for,
// and how the process went, until berthd stops (Docker keeps them only in
// memory too).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace berth::berthd {

struct ExecConfig {
  std::string container; // the full id
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string workdir;
  bool tty = false;
  bool attach_stdin = false;
  bool attach_stdout = true;
  bool attach_stderr = true;
};

struct ExecInstance {
  std::string id;
  ExecConfig config;
  bool started = false;
  bool running = false;
  int pid = 0;
  std::optional<int> exit_code;
};

class ExecStore {
public:
  // A new instance's id.
  std::string add(ExecConfig config);
  [[nodiscard]] std::optional<ExecInstance> get(const std::string &id) const;
  // Marks the instance started; false when it was started already.
  bool start(const std::string &id);
  void set_running(const std::string &id, int pid);
  void set_exited(const std::string &id, int exit_code);

private:
  mutable std::mutex mutex_;
  std::map<std::string, ExecInstance> instances_;
};

} // namespace berth::berthd
