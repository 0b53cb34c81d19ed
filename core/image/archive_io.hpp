// Image archives (tar files of an OCI layout or of `docker save`), read and
// written in one streaming pass with libarchive.
#pragma once

#include "image/content_store.hpp"

#include <berth/sdk/result.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace berth {

struct ArchiveContents {
  // Small index files kept in memory: index.json, oci-layout, manifest.json.
  std::map<std::string, std::string> index_files;
  // Every other file, stored as a blob: archive path -> digest. A file under
  // blobs/sha256/ is verified against its name.
  std::map<std::string, std::string> blobs;
};

// Reads the archive from fd (a file or a pipe, in one pass) into the content
// store. name says where it came from in messages; progress gets bytes read.
sdk::Result<ArchiveContents> read_image_archive(int fd, const std::string &name,
                                                const ContentStore &content,
                                                const std::function<void(std::uint64_t)> &progress);

// Writes a tar to fd: the small files in their order, then each blob under
// blobs/sha256/<hex>. name says where it goes in messages.
sdk::Result<void> write_image_archive(int fd, const std::string &name,
                                      const std::vector<std::pair<std::string, std::string>> &files,
                                      const std::vector<std::string> &blobs,
                                      const ContentStore &content,
                                      const std::function<void(std::uint64_t)> &progress);

} // namespace berth
