#include "image/digest.hpp"

#include <nettle/sha2.h>
// Nettle names its functions through macros (sha256_digest expands to
// nettle_sha256_digest), and one of them is the name of ours below.
#undef sha256_digest

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace berth {

// Nettle, not OpenSSL: as fast on large layers (both use the CPU's SHA
// instructions), and nothing to set up, where OpenSSL 3's first digest
// reads its configuration and loads a provider (2-3 ms of every command
// that checks a blob).
struct Sha256::Context {
  sha256_ctx state{};
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  nettle_sha256_init(&context_->state);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256 &&) noexcept = default;
Sha256 &Sha256::operator=(Sha256 &&) noexcept = default;

void Sha256::update(const void *data, std::size_t size) {
  nettle_sha256_update(&context_->state, size, static_cast<const std::uint8_t *>(data));
}

std::string Sha256::finish() {
  std::array<std::uint8_t, SHA256_DIGEST_SIZE> raw{};
  nettle_sha256_digest(&context_->state, raw.size(), raw.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digest = "sha256:";
  for (const auto byte : raw) {
    digest += kHex[byte >> 4U];
    digest += kHex[byte & 0xfU];
  }
  return digest;
}

std::string sha256_digest(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.finish();
}

struct BackgroundSha256::State {
  static constexpr std::size_t kSlots = 4;
  std::array<std::vector<char>, kSlots> buffers;
  std::array<std::size_t, kSlots> sizes{};
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t produced = 0; // buffers submitted
  std::uint64_t consumed = 0; // buffers hashed
  bool done = false;
  Sha256 hash;
  std::thread worker;

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return produced > consumed || done; });
      if (produced == consumed) {
        return;
      }
      const auto slot = consumed % kSlots;
      lock.unlock();
      hash.update(buffers[slot].data(), sizes[slot]);
      lock.lock();
      ++consumed;
      changed.notify_all();
    }
  }
};

BackgroundSha256::BackgroundSha256(std::size_t buffer_size)
    : buffer_size_(buffer_size), state_(std::make_unique<State>()) {
  for (auto &buffer : state_->buffers) {
    buffer.resize(buffer_size);
  }
  state_->worker = std::thread([state = state_.get()] { state->run(); });
}

BackgroundSha256::~BackgroundSha256() {
  if (state_->worker.joinable()) {
    (void)finish();
  }
}

char *BackgroundSha256::take() {
  std::unique_lock lock(state_->mutex);
  // The slot handed out now was last used kSlots buffers ago: it must be
  // hashed, and the reader is by now two buffers past it.
  state_->changed.wait(lock,
                       [&] { return state_->produced - state_->consumed < State::kSlots - 1; });
  return state_->buffers[state_->produced % State::kSlots].data();
}

void BackgroundSha256::submit(std::size_t size) {
  std::lock_guard lock(state_->mutex);
  state_->sizes[state_->produced % State::kSlots] = size;
  ++state_->produced;
  state_->changed.notify_all();
}

std::string BackgroundSha256::finish() {
  {
    std::lock_guard lock(state_->mutex);
    state_->done = true;
    state_->changed.notify_all();
  }
  state_->worker.join();
  return state_->hash.finish();
}

bool is_digest(std::string_view text) {
  if (text.size() != 71 || !text.starts_with("sha256:")) {
    return false;
  }
  for (char c : text.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string chain_id(std::string_view parent_chain, std::string_view diff_id) {
  if (parent_chain.empty()) {
    return std::string(diff_id);
  }
  return sha256_digest(std::string(parent_chain) + " " + std::string(diff_id));
}

} // namespace berth
