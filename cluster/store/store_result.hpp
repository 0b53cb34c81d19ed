// StoreResult<T>: what every StateStore method returns. The store needs error
// kinds that sdk::Errc does not have (a CAS conflict, a compacted revision),
// and the API server maps each to its own HTTP status (409, 410, 404), so
// they get their own enum rather than being folded into a message.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace berth::cluster {

enum class StoreErrc {
  not_found,        // no such key (or lease) at the revision asked
  already_exists,   // create-if-absent found the key
  conflict,         // the key's mod revision is not the one the caller expected
  compacted,        // the revision asked for is older than the last compaction
  future_revision,  // the revision asked for has not happened yet
  invalid_argument, // malformed request: empty key, bad range, TTL <= 0
  unavailable,      // the backend cannot be reached or refused; retrying may help
  closed,           // the store (or the watch) was shut down
  internal,         // a bug or corrupt state
};

const char *store_errc_name(StoreErrc code) noexcept;

struct StoreError {
  StoreErrc code = StoreErrc::internal;
  std::string message; // what went wrong and what to do, for a user
  std::string context; // where: the key, the lease, the database path

  [[nodiscard]] std::string describe() const {
    return context.empty() ? message : context + ": " + message;
  }
};

inline StoreError store_error(StoreErrc code, std::string message, std::string context = {}) {
  return StoreError{code, std::move(message), std::move(context)};
}

template <class T> class [[nodiscard]] StoreResult {
public:
  StoreResult(T value) // NOLINT(google-explicit-constructor): implicit by design
      : state_(std::in_place_index<0>, std::move(value)) {}
  StoreResult(StoreError error) // NOLINT(google-explicit-constructor): implicit by design
      : state_(std::in_place_index<1>, std::move(error)) {}

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T &value() & { return std::get<0>(state_); }
  const T &value() const & { return std::get<0>(state_); }
  T &&value() && { return std::get<0>(std::move(state_)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  [[nodiscard]] const StoreError &error() const & { return std::get<1>(state_); }
  StoreError &&error() && { return std::get<1>(std::move(state_)); }
  // Shorthand for tests and callers that branch on one kind.
  [[nodiscard]] bool failed_with(StoreErrc code) const noexcept {
    return !ok() && std::get<1>(state_).code == code;
  }

private:
  std::variant<T, StoreError> state_;
};

// An operation with nothing to return.
struct Done {};

} // namespace berth::cluster
