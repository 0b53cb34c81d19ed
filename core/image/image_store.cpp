#include "image/image_store.hpp"

#include <algorithm>

namespace berth {

ImageStore::ImageStore(Database &db) : db_(db) {
  db_.write(
      "CREATE TABLE IF NOT EXISTS images("
      "id TEXT PRIMARY KEY, manifest_digest TEXT NOT NULL, created TEXT NOT NULL,"
      "size INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS image_layers("
      "image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
      "position INTEGER NOT NULL, chain_id TEXT NOT NULL, blob TEXT NOT NULL,"
      "media_type TEXT NOT NULL, blob_size INTEGER NOT NULL,"
      "PRIMARY KEY(image_id, position));"
      "CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);"
      "CREATE TABLE IF NOT EXISTS tags("
      "name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE)");
}

void ImageStore::fill(ImageRecord &image) {
  auto layers = db_.prepare("SELECT chain_id, blob, media_type, blob_size FROM image_layers "
                            "WHERE image_id = ? ORDER BY position");
  layers.bind(1, image.id);
  while (layers.step()) {
    image.layers.push_back({layers.text(0), layers.text(1), layers.text(2),
                            static_cast<std::uint64_t>(layers.integer(3))});
  }
  auto tags = db_.prepare("SELECT name FROM tags WHERE image_id = ? ORDER BY name");
  tags.bind(1, image.id);
  while (tags.step()) {
    image.tags.push_back(tags.text(0));
  }
}

std::vector<ImageRecord> ImageStore::list() {
  std::vector<ImageRecord> images;
  auto query = db_.prepare("SELECT id, manifest_digest, created, size FROM images");
  while (query.step()) {
    images.push_back({query.text(0),
                      query.text(1),
                      query.text(2),
                      static_cast<std::uint64_t>(query.integer(3)),
                      {},
                      {}});
  }
  for (auto &image : images) {
    fill(image);
  }
  std::sort(images.begin(), images.end(),
            [](const auto &a, const auto &b) { return a.created > b.created; });
  return images;
}

std::optional<ImageRecord> ImageStore::get(const std::string &id) {
  auto query = db_.prepare("SELECT manifest_digest, created, size FROM images WHERE id = ?");
  query.bind(1, id);
  if (!query.step()) {
    return std::nullopt;
  }
  ImageRecord image{
      id, query.text(0), query.text(1), static_cast<std::uint64_t>(query.integer(2)), {}, {}};
  fill(image);
  return image;
}

std::optional<std::string> ImageStore::by_tag(const std::string &tag) {
  auto query = db_.prepare("SELECT image_id FROM tags WHERE name = ?");
  query.bind(1, tag);
  if (!query.step()) {
    return std::nullopt;
  }
  return query.text(0);
}

std::vector<std::string> ImageStore::by_id_prefix(const std::string &prefix) {
  const auto full = prefix.starts_with("sha256:") ? prefix : "sha256:" + prefix;
  auto query = db_.prepare("SELECT id FROM images WHERE substr(id, 1, ?) = ?");
  query.bind(1, static_cast<std::int64_t>(full.size())).bind(2, full);
  std::vector<std::string> ids;
  while (query.step()) {
    ids.push_back(query.text(0));
  }
  return ids;
}

std::optional<std::string> ImageStore::by_manifest(const std::string &digest) {
  auto query = db_.prepare("SELECT id FROM images WHERE manifest_digest = ?");
  query.bind(1, digest);
  if (!query.step()) {
    return std::nullopt;
  }
  return query.text(0);
}

void ImageStore::put(const ImageRecord &image) {
  auto row =
      db_.prepare("INSERT INTO images(id, manifest_digest, created, size) VALUES(?,?,?,?) "
                  "ON CONFLICT(id) DO UPDATE SET manifest_digest = excluded.manifest_digest");
  row.bind(1, image.id)
      .bind(2, image.manifest_digest)
      .bind(3, image.created)
      .bind(4, static_cast<std::int64_t>(image.size));
  row.run();
  auto clear = db_.prepare("DELETE FROM image_layers WHERE image_id = ?");
  clear.bind(1, image.id);
  clear.run();
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    const auto &layer = image.layers[i];
    auto insert = db_.prepare("INSERT INTO image_layers(image_id, position, chain_id, blob, "
                              "media_type, blob_size) VALUES(?,?,?,?,?,?)");
    insert.bind(1, image.id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, layer.chain_id)
        .bind(4, layer.blob)
        .bind(5, layer.media_type)
        .bind(6, static_cast<std::int64_t>(layer.blob_size));
    insert.run();
  }
}

void ImageStore::set_tag(const std::string &tag, const std::string &id) {
  auto query = db_.prepare("INSERT INTO tags(name, image_id) VALUES(?, ?) "
                           "ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id");
  query.bind(1, tag).bind(2, id);
  query.run();
}

void ImageStore::remove_tag(const std::string &tag) {
  auto query = db_.prepare("DELETE FROM tags WHERE name = ?");
  query.bind(1, tag);
  query.run();
}

void ImageStore::remove(const std::string &id) {
  auto query = db_.prepare("DELETE FROM images WHERE id = ?");
  query.bind(1, id);
  query.run();
}

std::vector<std::string> ImageStore::referenced_blobs() {
  std::vector<std::string> blobs;
  auto query = db_.prepare("SELECT id FROM images UNION SELECT manifest_digest FROM images "
                           "UNION SELECT blob FROM image_layers");
  while (query.step()) {
    blobs.push_back(query.text(0));
  }
  return blobs;
}

} // namespace berth
