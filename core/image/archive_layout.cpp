#include "image/archive_layout.hpp"

#include "image/digest.hpp"
#include "image/media_types.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace berth {
namespace {

std::string blob_path(const std::string &digest) {
  return "blobs/sha256/" + std::string(digest_hex(digest));
}

// One index.json entry per name, as Docker 25+ writes it: the OCI ref.name is
// the tag alone (the layout spec's example), and containerd's annotation
// carries the full name, which containerd, podman and berth load by.
nlohmann::json index_entries(const SavedImage &image) {
  const nlohmann::json plain = {{"mediaType", image.manifest_media_type},
                                {"digest", image.manifest_digest},
                                {"size", image.manifest_size}};
  if (image.names.empty()) {
    return nlohmann::json::array({plain});
  }
  auto entries = nlohmann::json::array();
  for (const auto &name : image.names) {
    auto entry = plain;
    entry["annotations"] = {{"io.containerd.image.name", name.qualified()},
                            {"org.opencontainers.image.ref.name", name.tag}};
    entries.push_back(std::move(entry));
  }
  return entries;
}

// The docker-archive entry: paths of the config and of each layer tar. The
// layers are the blobs as stored (plain, gzip or zstd); docker load and the
// containers/image docker-archive reader decompress them.
nlohmann::json docker_entry(const SavedImage &image) {
  auto tags = nlohmann::json::array();
  for (const auto &name : image.names) {
    tags.push_back(name.str());
  }
  auto layers = nlohmann::json::array();
  for (const auto &blob : image.layer_blobs) {
    layers.push_back(blob_path(blob));
  }
  return {{"Config", blob_path(image.config_digest)}, {"RepoTags", tags}, {"Layers", layers}};
}

// The pre-1.10 `repositories` file, which old readers still look for:
// name -> tag -> the top layer's id.
void add_repositories(const SavedImage &image, nlohmann::json &repositories) {
  if (image.layer_blobs.empty()) {
    return;
  }
  const std::string top(digest_hex(image.layer_blobs.back()));
  for (const auto &name : image.names) {
    repositories[name.name][name.tag] = top;
  }
}

} // namespace

ArchiveLayout dual_archive_layout(const std::vector<SavedImage> &images) {
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", media::kOciIndex},
                          {"manifests", nlohmann::json::array()}};
  auto manifest = nlohmann::json::array();
  auto repositories = nlohmann::json::object();
  ArchiveLayout layout;
  std::set<std::string> seen;
  auto add_blob = [&](const std::string &digest) {
    if (seen.insert(digest).second) {
      layout.blobs.push_back(digest);
    }
  };
  for (const auto &image : images) {
    for (auto &entry : index_entries(image)) {
      index["manifests"].push_back(std::move(entry));
    }
    manifest.push_back(docker_entry(image));
    add_repositories(image, repositories);
    add_blob(image.manifest_digest);
    add_blob(image.config_digest);
    for (const auto &blob : image.layer_blobs) {
      add_blob(blob);
    }
  }
  layout.files = {{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
                  {"index.json", index.dump()},
                  {"manifest.json", manifest.dump()},
                  {"repositories", repositories.dump()}};
  return layout;
}

} // namespace berth
