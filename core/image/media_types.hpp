// OCI and Docker media types berth reads and writes.
#pragma once

#include <string_view>

namespace berth::media {

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

inline bool is_index(std::string_view type) {
  return type == kOciIndex || type == kDockerList;
}
inline bool is_manifest(std::string_view type) {
  return type == kOciManifest || type == kDockerManifest;
}
inline bool is_config(std::string_view type) {
  return type == kOciConfig || type == kDockerConfig;
}
// Layer tars, compressed or not, including the "nondistributable" variants.
inline bool is_layer(std::string_view type) {
  for (auto known :
       {kOciLayer, kOciLayerGzip, kOciLayerZstd, kDockerLayerGzip,
        std::string_view("application/vnd.oci.image.layer.nondistributable.v1.tar"),
        std::string_view("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
        std::string_view("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"),
        std::string_view("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")}) {
    if (type == known) {
      return true;
    }
  }
  return false;
}

} // namespace berth::media
