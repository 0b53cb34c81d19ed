#include "cluster/store/state_store.hpp"

namespace berth::cluster {

const char *store_errc_name(StoreErrc code) noexcept {
  switch (code) {
  case StoreErrc::not_found: return "not found";
  case StoreErrc::already_exists: return "already exists";
  case StoreErrc::conflict: return "conflict";
  case StoreErrc::compacted: return "compacted";
  case StoreErrc::future_revision: return "future revision";
  case StoreErrc::invalid_argument: return "invalid argument";
  case StoreErrc::unavailable: return "unavailable";
  case StoreErrc::closed: return "closed";
  case StoreErrc::internal: return "internal error";
  }
  return "unknown error";
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  // Drop trailing 0xff bytes (nothing follows them), then bump the last one.
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) {
    end.pop_back();
  }
  if (!end.empty()) {
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  }
  return end;
}

KeyRange KeyRange::single(std::string key) {
  // The smallest key after `key` is key + '\0'.
  std::string end = key;
  end.push_back('\0');
  return KeyRange{std::move(key), std::move(end)};
}

KeyRange KeyRange::prefix(std::string_view prefix) {
  return KeyRange{std::string(prefix), prefix_end(prefix)};
}

bool KeyRange::contains(std::string_view key) const noexcept {
  return key >= std::string_view(start) && (end.empty() || key < std::string_view(end));
}

bool KeyRange::is_single() const noexcept {
  return end.size() == start.size() + 1 && end.back() == '\0' &&
         std::string_view(end).substr(0, start.size()) == start;
}

} // namespace berth::cluster
