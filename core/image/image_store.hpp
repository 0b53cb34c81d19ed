// Image metadata in SQLite: images (by config digest), their layers and tags.
#pragma once

#include "store/sqlite.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct ImageLayer {
  std::string chain_id;
  std::string blob;       // digest of the layer as stored (maybe compressed)
  std::string media_type; // of that blob
  std::uint64_t blob_size = 0;
};

struct ImageRecord {
  std::string id; // config digest
  std::string manifest_digest;
  std::string created;    // RFC 3339, from the config
  std::uint64_t size = 0; // uncompressed bytes of all layers
  std::vector<ImageLayer> layers;
  std::vector<std::string> tags; // "name:tag", sorted
};

class ImageStore {
public:
  explicit ImageStore(Database &db);

  std::vector<ImageRecord> list();
  std::optional<ImageRecord> get(const std::string &id);
  // The image a tag names, if any.
  std::optional<std::string> by_tag(const std::string &tag);
  // Ids starting with prefix ("sha256:" optional).
  std::vector<std::string> by_id_prefix(const std::string &prefix);
  std::optional<std::string> by_manifest(const std::string &digest);

  // Inside a transaction: adds or replaces the image row and its layers.
  void put(const ImageRecord &image);
  // Inside a transaction: points tag at id, taking it from any other image.
  void set_tag(const std::string &tag, const std::string &id);
  void remove_tag(const std::string &tag);
  void remove(const std::string &id);
  // Every blob digest an image refers to.
  std::vector<std::string> referenced_blobs();

private:
  void fill(ImageRecord &image);
  Database &db_;
};

} // namespace berth
