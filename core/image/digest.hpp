// Content digests ("sha256:<64 hex>") and a streaming SHA-256 (libcrypto).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;
  Sha256(Sha256 &&) noexcept;
  Sha256 &operator=(Sha256 &&) noexcept;

  void update(const void *data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // "sha256:<hex>"; the object cannot be updated afterwards.
  std::string finish();

private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string sha256_digest(std::string_view data);

// SHA-256 on a thread of its own over buffers it lends out, so that hashing a
// layer overlaps unpacking it: without SHA extensions sha256 runs at about
// 260 MB/s here, slower than the disk.
class BackgroundSha256 {
public:
  explicit BackgroundSha256(std::size_t buffer_size);
  ~BackgroundSha256();
  BackgroundSha256(const BackgroundSha256 &) = delete;
  BackgroundSha256 &operator=(const BackgroundSha256 &) = delete;
  BackgroundSha256(BackgroundSha256 &&) = delete;
  BackgroundSha256 &operator=(BackgroundSha256 &&) = delete;

  // A buffer to fill, then hand back with submit(). It stays untouched until
  // two more buffers have been taken, so a reader may keep using the last
  // one. Blocks while the hasher is behind.
  char *take();
  void submit(std::size_t size);
  [[nodiscard]] std::size_t buffer_size() const noexcept { return buffer_size_; }
  // Waits for the hasher and returns "sha256:<hex>".
  std::string finish();

private:
  struct State;
  std::size_t buffer_size_;
  std::unique_ptr<State> state_;
};

// True for "sha256:" followed by 64 lower-case hex digits.
bool is_digest(std::string_view text);
// The hex part of a valid digest.
inline std::string_view digest_hex(std::string_view digest) {
  return digest.substr(7);
}

// OCI chain ID of a layer: its diff ID at the bottom, else
// sha256(parent chain ID + " " + diff ID).
std::string chain_id(std::string_view parent_chain, std::string_view diff_id);

} // namespace berth
