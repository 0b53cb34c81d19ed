#include "image/digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace berth {

struct Sha256::Context {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
  Context() = default;
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;
  Context(Context &&) = delete;
  Context &operator=(Context &&) = delete;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("libcrypto cannot start a sha256 digest");
  }
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256 &&) noexcept = default;
Sha256 &Sha256::operator=(Sha256 &&) noexcept = default;

void Sha256::update(const void *data, std::size_t size) {
  EVP_DigestUpdate(context_->md, data, size);
}

std::string Sha256::finish() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->md, raw, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digest = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    digest += kHex[raw[i] >> 4U];
    digest += kHex[raw[i] & 0xfU];
  }
  return digest;
}

std::string sha256_digest(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.finish();
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
