// sdk::Result<T>: the value-or-error type every interface method returns.
//
// Exceptions may not cross the plugin boundary (with hidden visibility their
// typeinfo differs between libraries), so failures travel as values.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

// v1 is inline: berth::sdk::Result names the current version, and the
// version still appears in mangled names, so a v2 can live beside it.
namespace berth::sdk::inline v1 {

enum class Errc {
  invalid_argument, // the caller asked for something malformed
  not_found,
  already_exists,
  busy,        // in use; retry later or release the user first
  unsupported, // the driver cannot do this at all
  unavailable, // cannot run on this host ("skip"), with the reason
  permission,
  io, // a system call failed; message names the call, path and errno
  cancelled,
  internal,
};

const char *errc_name(Errc code) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message; // what went wrong, for a user
  std::string context; // where: a key, a path, a container id

  // "context: message", or the message alone.
  [[nodiscard]] std::string describe() const {
    return context.empty() ? message : context + ": " + message;
  }
};

inline Error make_error(Errc code, std::string message, std::string context = {}) {
  return Error{code, std::move(message), std::move(context)};
}

// A failed system call: "call: strerror(err)" with the path or object it was
// about as context. ENOENT, EEXIST, EBUSY and EPERM keep their meaning.
inline Error errno_error(std::string_view call, std::string context, int err = errno) {
  Errc code = Errc::io;
  switch (err) {
  case ENOENT: code = Errc::not_found; break;
  case EEXIST: code = Errc::already_exists; break;
  case EBUSY: code = Errc::busy; break;
  case EPERM:
  case EACCES: code = Errc::permission; break;
  default: break;
  }
  return Error{code, std::string(call) + ": " + std::strerror(err), std::move(context)};
}

template <class T> class [[nodiscard]] Result {
public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {} // NOLINT

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T &value() & { return std::get<0>(state_); }
  const T &value() const & { return std::get<0>(state_); }
  T &&value() && { return std::get<0>(std::move(state_)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  [[nodiscard]] const Error &error() const & { return std::get<1>(state_); }
  Error &&error() && { return std::get<1>(std::move(state_)); }

private:
  std::variant<T, Error> state_;
};

template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {} // NOLINT: implicit by design

  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] const Error &error() const & { return error_; }
  Error &&error() && { return std::move(error_); }

private:
  Error error_;
  bool failed_ = false;
};

inline const char *errc_name(Errc code) noexcept {
  switch (code) {
  case Errc::invalid_argument: return "invalid argument";
  case Errc::not_found: return "not found";
  case Errc::already_exists: return "already exists";
  case Errc::busy: return "busy";
  case Errc::unsupported: return "unsupported";
  case Errc::unavailable: return "unavailable";
  case Errc::permission: return "permission denied";
  case Errc::io: return "i/o error";
  case Errc::cancelled: return "cancelled";
  case Errc::internal: return "internal error";
  }
  return "unknown error";
}

} // namespace berth::sdk::inline v1
