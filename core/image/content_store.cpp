#include "image/content_store.hpp"

#include "image/digest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace berth {
namespace {

constexpr std::uintmax_t kMaxSmallBlob = 64U << 20U;

} // namespace

ContentStore::ContentStore(std::filesystem::path root) : root_(std::move(root)) {
  std::filesystem::create_directories(root_ / "blobs" / "sha256");
  std::filesystem::create_directories(root_ / "blobs" / "tmp");
  const auto layout = root_ / "oci-layout";
  if (!std::filesystem::exists(layout)) {
    std::ofstream(layout) << R"({"imageLayoutVersion":"1.0.0"})";
  }
}

ContentStore::Writer::Writer(UniqueFd fd, std::filesystem::path temp, std::filesystem::path blobs)
    : fd_(std::move(fd)), temp_(std::move(temp)), blobs_(std::move(blobs)),
      hash_(std::make_unique<Sha256>()) {}

ContentStore::Writer::~Writer() {
  if (!committed_) {
    ::unlink(temp_.c_str());
  }
}

sdk::Result<void> ContentStore::Writer::write(const void *data, std::size_t size) {
  hash_->update(data, size);
  const auto *bytes = static_cast<const char *>(data);
  while (size > 0) {
    const auto written = ::write(fd_.get(), bytes, size);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sdk::errno_error("write", temp_.string());
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
    size_ += static_cast<std::uint64_t>(written);
  }
  return {};
}

sdk::Result<std::string> ContentStore::Writer::commit(const std::string &expected) {
  auto digest = hash_->finish();
  if (!expected.empty() && digest != expected) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "content digest is " + digest + ", not " + expected +
                               " as named; the file is corrupt or was altered",
                           expected);
  }
  if (::fsync(fd_.get()) != 0) {
    return sdk::errno_error("fsync", temp_.string());
  }
  const auto target = blobs_ / std::string(digest_hex(digest));
  if (::rename(temp_.c_str(), target.c_str()) != 0) {
    return sdk::errno_error("rename", target.string());
  }
  committed_ = true;
  return digest;
}

sdk::Result<std::unique_ptr<ContentStore::Writer>> ContentStore::writer() const {
  const auto dir = root_ / "blobs" / "tmp";
  std::string name = (dir / "blob-XXXXXX").string();
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return sdk::errno_error("mkstemp", dir.string());
  }
  return std::make_unique<Writer>(UniqueFd(fd), name, root_ / "blobs" / "sha256");
}

sdk::Result<std::string> ContentStore::put(std::string_view data) const {
  const auto digest = sha256_digest(data);
  if (contains(digest)) {
    return digest;
  }
  auto out = writer();
  if (!out.ok()) {
    return std::move(out).error();
  }
  if (auto done = (*out)->write(data.data(), data.size()); !done.ok()) {
    return std::move(done).error();
  }
  return (*out)->commit(digest);
}

sdk::Result<std::string> ContentStore::read(const std::string &digest) const {
  if (!is_digest(digest)) {
    return sdk::make_error(sdk::Errc::invalid_argument, "not a sha256 digest", digest);
  }
  const auto path = path_of(digest);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return sdk::make_error(sdk::Errc::not_found, "blob is missing from the store", digest);
  }
  if (size > kMaxSmallBlob) {
    return sdk::make_error(sdk::Errc::invalid_argument, "blob is too large for a manifest", digest);
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::filesystem::path ContentStore::path_of(const std::string &digest) const {
  // Digests come from manifests, which are input: nothing else may name a path.
  if (!is_digest(digest)) {
    return root_ / "blobs" / "sha256" / "invalid-digest";
  }
  return root_ / "blobs" / "sha256" / std::string(digest_hex(digest));
}

bool ContentStore::contains(const std::string &digest) const {
  std::error_code ec;
  return is_digest(digest) && std::filesystem::exists(path_of(digest), ec);
}

std::optional<std::uint64_t> ContentStore::size_of(const std::string &digest) const {
  if (!is_digest(digest)) {
    return std::nullopt;
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_of(digest), ec);
  if (ec) {
    return std::nullopt;
  }
  return size;
}

void ContentStore::remove(const std::string &digest) const {
  if (is_digest(digest)) {
    ::unlink(path_of(digest).c_str());
  }
}

std::vector<std::string> ContentStore::list() const {
  std::vector<std::string> digests;
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(root_ / "blobs" / "sha256", ec)) {
    auto digest = "sha256:" + entry.path().filename().string();
    if (is_digest(digest)) {
      digests.push_back(std::move(digest));
    }
  }
  return digests;
}

void ContentStore::clean_temporary() const {
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(root_ / "blobs" / "tmp", ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
}

} // namespace berth
