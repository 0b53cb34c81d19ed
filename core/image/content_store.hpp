// Blobs by digest under root/blobs/sha256/, as in an OCI image layout. Every
// blob is hashed as it is written and appears under its name only once
// complete and verified, so a reader never sees half a blob.
#pragma once

#include "util/fd.hpp"

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth {

class Sha256;

class ContentStore {
public:
  explicit ContentStore(std::filesystem::path root);

  // A blob being written to a temporary file.
  class Writer {
  public:
    Writer(UniqueFd fd, std::filesystem::path temp, std::filesystem::path blobs);
    ~Writer();
    Writer(const Writer &) = delete;
    Writer &operator=(const Writer &) = delete;
    Writer(Writer &&) = delete;
    Writer &operator=(Writer &&) = delete;

    sdk::Result<void> write(const void *data, std::size_t size);
    // Moves the blob to its name. expected, when given, must match.
    sdk::Result<std::string> commit(const std::string &expected = {});
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  private:
    UniqueFd fd_;
    std::filesystem::path temp_;
    std::filesystem::path blobs_;
    std::unique_ptr<Sha256> hash_;
    std::uint64_t size_ = 0;
    bool committed_ = false;
  };

  sdk::Result<std::unique_ptr<Writer>> writer() const;
  // A small blob (manifest, config) in one call.
  sdk::Result<std::string> put(std::string_view data) const;
  // A small blob's content, or not_found.
  sdk::Result<std::string> read(const std::string &digest) const;

  [[nodiscard]] std::filesystem::path path_of(const std::string &digest) const;
  [[nodiscard]] bool contains(const std::string &digest) const;
  [[nodiscard]] std::optional<std::uint64_t> size_of(const std::string &digest) const;
  void remove(const std::string &digest) const;
  [[nodiscard]] std::vector<std::string> list() const;
  // Temporary files of writers that never finished (a crash); call only
  // while holding the store lock.
  void clean_temporary() const;

private:
  std::filesystem::path root_;
};

} // namespace berth
