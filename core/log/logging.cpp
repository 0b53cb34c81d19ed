#include "log/logging.hpp"

#include <nlohmann/json.hpp>

// spdlog and fmt compiled into this file rather than loaded as two more
// shared libraries by every berth process (each one mapped and relocated
// costs about half a millisecond at every start, and berth and its monitor
// start for every container). Nothing else includes them.
#define SPDLOG_FMT_EXTERNAL
#define FMT_HEADER_ONLY
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <chrono>

namespace berth {
namespace {

spdlog::level::level_enum to_spdlog(sdk::LogLevel level) {
  switch (level) {
  case sdk::LogLevel::trace: return spdlog::level::trace;
  case sdk::LogLevel::debug: return spdlog::level::debug;
  case sdk::LogLevel::info: return spdlog::level::info;
  case sdk::LogLevel::warn: return spdlog::level::warn;
  case sdk::LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// One JSON object per line; nlohmann::json does the escaping that a pattern
// string cannot.
class JsonFormatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg &msg, spdlog::memory_buf_t &dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    nlohmann::json line = {
        {"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count()},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"component", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    const auto text = line.dump() + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

struct LoggingState {
  LoggingState() : sink(std::make_shared<spdlog::sinks::stderr_sink_mt>()) {
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  }
  spdlog::sink_ptr sink;
  // Atomic: berthd's request threads read it while a new engine sets it.
  std::atomic<spdlog::level::level_enum> level{spdlog::level::info};
};

LoggingState &state() {
  static LoggingState instance;
  return instance;
}

class SpdLogger final : public sdk::Logger {
public:
  explicit SpdLogger(std::string component)
      : logger_(std::make_shared<spdlog::logger>(std::move(component), state().sink)) {
    logger_->set_level(spdlog::level::trace);
  }
  [[nodiscard]] bool enabled(sdk::LogLevel level) const noexcept override {
    return to_spdlog(level) >= state().level;
  }
  void log(sdk::LogLevel level, std::string_view message) noexcept override {
    if (!enabled(level)) {
      return;
    }
    try {
      logger_->log(to_spdlog(level), "{}", message);
    } catch (...) {
      // Logging must never take an operation down.
    }
  }

private:
  std::shared_ptr<spdlog::logger> logger_;
};

} // namespace

std::optional<sdk::LogLevel> parse_log_level(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, sdk::LogLevel>, 5> kLevels = {{
      {"trace", sdk::LogLevel::trace},
      {"debug", sdk::LogLevel::debug},
      {"info", sdk::LogLevel::info},
      {"warn", sdk::LogLevel::warn},
      {"error", sdk::LogLevel::error},
  }};
  for (const auto &[name, level] : kLevels) {
    if (text == name) {
      return level;
    }
  }
  return std::nullopt;
}

std::vector<std::string> log_level_names() {
  return {"trace", "debug", "info", "warn", "error"};
}

void configure_logging(sdk::LogLevel level, LogFormat format) {
  auto &s = state();
  s.level = to_spdlog(level);
  if (format == LogFormat::json) {
    s.sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    s.sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  }
}

std::shared_ptr<sdk::Logger> make_logger(std::string component) {
  return std::make_shared<SpdLogger>(std::move(component));
}

} // namespace berth
