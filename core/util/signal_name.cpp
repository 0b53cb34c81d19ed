#include "util/signal_name.hpp"

#include <charconv>
#include <csignal>
#include <map>
#include <string>

namespace berth {

std::optional<int> parse_signal(std::string_view text) {
  static const std::map<std::string, int, std::less<>> names = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
      {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},
      {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
      {"PWR", SIGPWR},   {"SYS", SIGSYS},   {"WINCH", SIGWINCH}, {"IO", SIGIO}};
  auto name = text;
  if (name.starts_with("SIG")) {
    name.remove_prefix(3);
  }
  if (auto found = names.find(name); found != names.end()) {
    return found->second;
  }
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc{} && end == text.data() + text.size() && number > 0 && number < NSIG) {
    return number;
  }
  return std::nullopt;
}

} // namespace berth
