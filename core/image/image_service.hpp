// Images: import, load, save, list, inspect, tag, remove, prune, mount. The
// engine facade hands this to front ends; it owns the content, layer and
// image stores and the lock that lets several berth processes share them.
#pragma once

#include "image/archive_io.hpp"
#include "image/archive_layout.hpp"
#include "image/content_store.hpp"
#include "image/image_store.hpp"
#include "image/manifest.hpp"
#include "layer/layer_store.hpp"
#include "store/sqlite.hpp"
#include "util/file_lock.hpp"

#include <berth/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth {

// label ("Loading layer sha256:ab12…"), bytes done, bytes in all (0 if unknown).
using Progress = std::function<void(const std::string &, std::uint64_t, std::uint64_t)>;

// Byte progress of one step, as a labelled callback; empty without progress.
inline std::function<void(std::uint64_t)> labelled(const Progress &progress, std::string label,
                                                   std::uint64_t total) {
  if (!progress) {
    return {};
  }
  return [progress, label = std::move(label), total](std::uint64_t done) {
    progress(label, done, total);
  };
}

struct ImportRequest {
  std::filesystem::path source; // "-" for standard input
  std::string reference;        // may be empty: an untagged image
  std::string message;          // history comment
};

// What a container takes from its image.
struct ContainerRootfs {
  std::string image_id;
  nlohmann::json config;          // the image's config document
  std::vector<sdk::Mount> mounts; // of the container's writable snapshot
};

// Ids (or names) of the containers using an image; such an image is kept.
using ImageUsers = std::function<std::vector<std::string>(const std::string &image_id)>;

struct RemoveResult {
  std::vector<std::string> lines; // "Untagged: x", "Deleted: sha256:…"
  std::uint64_t reclaimed = 0;
};

class ImageService {
public:
  ImageService(std::filesystem::path root, std::shared_ptr<sdk::StorageDriver> driver,
               std::string driver_name);
  ~ImageService();
  ImageService(const ImageService &) = delete;
  ImageService &operator=(const ImageService &) = delete;
  ImageService(ImageService &&) = delete;
  ImageService &operator=(ImageService &&) = delete;

  sdk::Result<ImageRecord> import(const ImportRequest &request, const Progress &progress);
  // References (or ids of untagged images) loaded from an OCI or docker
  // archive; file "-" reads standard input.
  sdk::Result<std::vector<std::string>> load(const std::filesystem::path &file,
                                             const Progress &progress);
  // Writes the images to one archive that is both an OCI layout and a
  // docker-archive (archive_layout.hpp). A file appears whole or not at all;
  // "-" writes standard output.
  sdk::Result<void> save(const std::vector<std::string> &references,
                         const std::filesystem::path &file, const Progress &progress);

  sdk::Result<std::vector<ImageRecord>> list();
  sdk::Result<nlohmann::json> inspect(const std::string &reference);
  sdk::Result<nlohmann::json> history(const std::string &reference);
  sdk::Result<void> tag(const std::string &source, const std::string &target);
  sdk::Result<RemoveResult> remove(const std::vector<std::string> &references, bool force);
  sdk::Result<RemoveResult> prune(bool all);
  sdk::Result<nlohmann::json> disk_usage();
  // A read-only mount of the image's root filesystem; the same path again if
  // it is mounted already.
  sdk::Result<std::filesystem::path> mount(const std::string &reference);
  sdk::Result<void> unmount(const std::string &reference);

  // Makes the writable snapshot key on top of the image and calls record
  // under the store lock, so that no rmi or prune slips in between; the
  // snapshot is removed again if record fails.
  sdk::Result<ContainerRootfs>
  prepare_container(const std::string &reference, const std::string &key,
                    const std::function<sdk::Result<void>(const std::string &image_id)> &record);
  sdk::Result<std::vector<sdk::Mount>> container_mounts(const std::string &key);
  // The changes in a container's snapshot as a layer tar in the content
  // store (what a commit stores); returns its digest, also its diff ID.
  sdk::Result<std::string> diff_container(const std::string &key);
  // Removes a container's snapshot; ok if it is gone already.
  sdk::Result<void> remove_container(const std::string &key);
  void set_image_users(ImageUsers users) { users_ = std::move(users); }

  // The image id a reference, id or id prefix names.
  sdk::Result<std::string> resolve(const std::string &reference);

private:
  // Every change holds this; see lock() for what runs first under it.
  [[nodiscard]] FileLock lock();
  sdk::Result<ImageRecord> register_manifest(const std::string &manifest_digest,
                                             const std::vector<std::string> &tags,
                                             const Progress &progress);
  sdk::Result<std::vector<std::string>>
  load_contents(const ArchiveContents &contents, const std::string &name, const Progress &progress);
  sdk::Result<std::vector<std::string>> load_oci(const std::vector<IndexEntry> &index,
                                                 const Progress &progress);
  sdk::Result<std::vector<std::string>> load_docker(const std::vector<DockerArchiveImage> &manifest,
                                                    const std::map<std::string, std::string> &files,
                                                    const Progress &progress);
  // The images references name, each once with the tags it is saved under.
  sdk::Result<std::vector<SavedImage>> images_to_save(const std::vector<std::string> &references);
  // A small blob's text, checked against its digest; what names it in errors.
  sdk::Result<std::string> read_blob(const std::string &digest, const std::string &what);
  template <typename Parse>
  auto read_document(const std::string &digest, const std::string &what, Parse parse)
      -> decltype(parse(std::string_view()));
  // The image reference names and its config.
  sdk::Result<std::pair<ImageRecord, nlohmann::json>>
  image_and_config(const std::string &reference);
  sdk::Result<void> delete_image(const ImageRecord &image, RemoveResult &result);
  void remove_unreferenced_blobs();
  // True when image stays because containers use it (its tags may go).
  sdk::Result<bool> keep_for_containers(const ImageRecord &image, const std::string &reference,
                                        bool by_tag, bool force, RemoveResult &result);
  [[nodiscard]] std::filesystem::path mount_point(const std::string &id) const;
  std::optional<std::filesystem::path> mounted_path(const std::string &id);
  sdk::Result<void> unmount_locked(const std::string &reference);
  void remove_stray_mounts();

  std::filesystem::path root_;
  std::string driver_name_;
  std::unique_ptr<Database> db_;
  ContentStore content_;
  std::unique_ptr<LayerStore> layers_;
  std::unique_ptr<ImageStore> images_;
  ImageUsers users_;
};

} // namespace berth
