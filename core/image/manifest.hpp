// The JSON documents an image brings, read and checked whole: OCI and Docker
// manifests, image indexes (and Docker manifest lists), a docker-archive's
// manifest.json and the image config. What passes can be used without
// further checks; anything else fails with one line naming the field, never
// with a JSON library's exception at some later command.
#pragma once

#include <berth/sdk/result.hpp>

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

struct Descriptor {
  std::string media_type; // "" when the document left it out
  std::string digest;
};

struct ImageManifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers; // bottom first; media types are layer types
};

// An entry of an index: a manifest, or a nested index of a multi-platform image.
struct IndexEntry {
  Descriptor target;
  std::string name; // the reference its annotations give; "" when none
  std::string os;   // from its platform; "" when none
  std::string architecture;
};

// One image of a docker-archive's manifest.json; paths are the archive's.
struct DockerArchiveImage {
  std::string config;
  std::vector<std::string> layers;
  std::vector<std::string> repo_tags;
};

struct ImageConfig {
  // The whole document, with a null where berth reads a field (Env: null,
  // as Docker writes for none) left out, so that readers see it as absent.
  nlohmann::json document;
  std::string created;
  std::vector<std::string> diff_ids;
};

sdk::Result<ImageManifest> parse_image_manifest(std::string_view text);
sdk::Result<std::vector<IndexEntry>> parse_image_index(std::string_view text);
sdk::Result<std::vector<DockerArchiveImage>> parse_docker_manifest(std::string_view text);
sdk::Result<ImageConfig> parse_image_config(std::string_view text);

// The entry of a multi-platform index for linux/architecture, else the first;
// entries must not be empty.
const IndexEntry &pick_platform(const std::vector<IndexEntry> &entries,
                                std::string_view architecture);

} // namespace berth
