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
#include <vector>

namespace berth {

struct ArchiveContents {
  // Small index files kept in memory: index.json, oci-layout, manifest.json.
  std::map<std::string, std::string> index_files;
  // Every other file, stored as a blob: archive path -> digest. A file under
  // blobs/sha256/ is verified against its name.
  std::map<std::string, std::string> blobs;
};

// Reads the archive at file into the content store. progress gets bytes read.
sdk::Result<ArchiveContents> read_image_archive(const std::filesystem::path &file,
                                                const ContentStore &content,
                                                const std::function<void(std::uint64_t)> &progress);

// Writes an OCI archive to fd: oci-layout, index.json and each blob once.
// file names it in messages.
sdk::Result<void> write_oci_archive(int fd, const std::filesystem::path &file,
                                    const std::string &index, const std::vector<std::string> &blobs,
                                    const ContentStore &content,
                                    const std::function<void(std::uint64_t)> &progress);

} // namespace berth
