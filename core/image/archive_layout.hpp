// What `berth save` puts in an archive besides the blobs. Like Docker 25+,
// one tar is both an OCI image layout (oci-layout, index.json, blobs/sha256/)
// and a docker-archive (manifest.json, repositories) whose paths point into
// the same blobs, so OCI tools and docker-archive readers both accept it.
#pragma once

#include "image/reference.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace berth {

// One image to save and the tagged names it is saved under (none when it was
// named by id or digest).
struct SavedImage {
  std::string config_digest;
  std::string manifest_digest;
  std::string manifest_media_type;
  std::uint64_t manifest_size = 0;
  std::vector<std::string> layer_blobs; // bottom first
  std::vector<Reference> names;
};

struct ArchiveLayout {
  // Small files, path and text, in the order they are written.
  std::vector<std::pair<std::string, std::string>> files;
  // Every blob once (manifests, configs, layers), stored as blobs/sha256/<hex>.
  std::vector<std::string> blobs;
};

ArchiveLayout dual_archive_layout(const std::vector<SavedImage> &images);

} // namespace berth
