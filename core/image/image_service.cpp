#include "image/image_service.hpp"

#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "image/reference.hpp"
#include "layer/layer_reader.hpp"
#include "util/fd.hpp"
#include "util/file_lock.hpp"
#include "util/mount_point.hpp"
#include <berth/sdk/mount.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <set>

namespace berth {
namespace {

std::string short_id(const std::string &digest) {
  return std::string(digest_hex(digest).substr(0, 12));
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string host_architecture() {
  struct utsname host {};
  ::uname(&host);
  const std::string machine = host.machine;
  if (machine == "x86_64") {
    return "amd64";
  }
  return machine == "aarch64" ? "arm64" : machine;
}

sdk::Error wrap(const std::exception &e) {
  return sdk::make_error(sdk::Errc::internal, e.what());
}

std::string layer_media_type(Compression compression) {
  switch (compression) {
  case Compression::gzip: return std::string(media::kOciLayerGzip);
  case Compression::zstd: return std::string(media::kOciLayerZstd);
  default: return std::string(media::kOciLayer);
  }
}

nlohmann::json descriptor(std::string_view type, const std::string &digest, std::uint64_t size) {
  return {{"mediaType", type}, {"digest", digest}, {"size", size}};
}

} // namespace

ImageService::ImageService(std::filesystem::path root, std::shared_ptr<sdk::StorageDriver> driver,
                           std::string driver_name)
    : root_(std::move(root)), driver_name_(std::move(driver_name)),
      db_(std::make_unique<Database>(root_ / "berth.db")), content_(root_) {
  layers_ = std::make_unique<LayerStore>(*db_, std::move(driver), root_);
  images_ = std::make_unique<ImageStore>(*db_);
  db_->write("CREATE TABLE IF NOT EXISTS image_mounts("
             "image_id TEXT PRIMARY KEY REFERENCES images(id), path TEXT NOT NULL)");
}

ImageService::~ImageService() = default;

// Every change holds this lock; the first thing under it is to clear what a
// crashed berth left behind, since nothing else can be half-way now.
FileLock ImageService::lock() {
  FileLock held(root_ / "store.lock");
  content_.clean_temporary();
  layers_->collect_garbage();
  remove_stray_mounts();
  return held;
}

sdk::Result<std::string> ImageService::resolve(const std::string &reference) {
  try {
    auto parsed = parse_reference(reference);
    if (parsed.ok()) {
      if (!parsed->digest.empty() && parsed->tag.empty()) {
        if (auto id = images_->by_manifest(parsed->digest)) {
          return *id;
        }
      } else if (auto id = images_->by_tag(parsed->str())) {
        return *id;
      }
    }
    const bool hex = reference.find_first_not_of("0123456789abcdef") == std::string::npos;
    if ((hex && reference.size() >= 3) || is_digest(reference)) {
      auto ids = images_->by_id_prefix(reference);
      if (ids.size() == 1) {
        return ids.front();
      }
      if (ids.size() > 1) {
        return sdk::make_error(sdk::Errc::invalid_argument,
                               "id prefix matches " + std::to_string(ids.size()) +
                                   " images; give more digits",
                               reference);
      }
    }
    if (!parsed.ok() && !hex) {
      return std::move(parsed).error();
    }
    return sdk::make_error(sdk::Errc::not_found,
                           "no such image: " + reference + " (see 'berth images')");
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<std::string> ImageService::read_blob(const std::string &digest,
                                                 const std::string &what) {
  auto text = content_.read(digest);
  if (!text.ok()) {
    return sdk::make_error(sdk::Errc::not_found,
                           what + " " + digest + " is missing; the archive is incomplete");
  }
  if (sha256_digest(*text) != digest) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           what + " " + digest + " does not match its digest");
  }
  return text;
}

// A document parsed by parse, its errors naming the blob they came from.
template <typename Parse>
auto ImageService::read_document(const std::string &digest, const std::string &what, Parse parse)
    -> decltype(parse(std::string_view())) {
  auto text = read_blob(digest, what);
  if (!text.ok()) {
    return std::move(text).error();
  }
  auto document = parse(*text);
  if (!document.ok() && document.error().context.empty()) {
    auto error = std::move(document).error();
    error.context = digest;
    return error;
  }
  return document;
}

sdk::Result<ImageRecord> ImageService::register_manifest(const std::string &manifest_digest,
                                                         const std::vector<std::string> &tags,
                                                         const Progress &progress) {
  auto manifest = read_document(manifest_digest, "manifest", parse_image_manifest);
  if (!manifest.ok()) {
    return std::move(manifest).error();
  }
  const auto &config_digest = manifest->config.digest;
  auto config = read_document(config_digest, "image config", parse_image_config);
  if (!config.ok()) {
    return std::move(config).error();
  }
  const auto &layers = manifest->layers;
  const auto &diff_ids = config->diff_ids;
  if (layers.size() != diff_ids.size()) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "the manifest lists " + std::to_string(layers.size()) +
                               " layers but the config " + std::to_string(diff_ids.size()),
                           manifest_digest);
  }
  ImageRecord image{config_digest, manifest_digest, config->created, 0, {}, {}};
  std::string parent;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto &layer_type = layers[i].media_type;
    const auto &blob = layers[i].digest;
    const auto &expected = diff_ids[i];
    const auto chain = chain_id(parent, expected);
    if (!layers_->find(chain) && !content_.contains(blob)) {
      return sdk::make_error(sdk::Errc::not_found,
                             "the manifest names layer " + blob + ", which the archive lacks",
                             manifest_digest);
    }
    const auto size = content_.size_of(blob).value_or(0);
    auto applied = layers_->apply(parent, content_.path_of(blob), expected, "layer " + blob,
                                  labelled(progress, "Applying layer " + short_id(blob), size));
    if (!applied.ok()) {
      return std::move(applied).error();
    }
    image.layers.push_back({applied->chain_id, blob, layer_type, size});
    image.size += applied->size;
    parent = applied->chain_id;
  }
  Transaction transaction(*db_);
  images_->put(image);
  for (const auto &tag : tags) {
    images_->set_tag(tag, image.id);
  }
  transaction.commit();
  image.tags = tags;
  return image;
}

sdk::Result<ImageRecord> ImageService::import(const ImportRequest &request,
                                              const Progress &progress) {
  try {
    std::optional<Reference> ref;
    if (!request.reference.empty()) {
      auto parsed = parse_reference(request.reference);
      if (!parsed.ok()) {
        return std::move(parsed).error();
      }
      ref = *parsed;
    }
    const bool from_stdin = request.source == "-";
    std::error_code ec;
    const auto total = from_stdin ? 0 : std::filesystem::file_size(request.source, ec);
    if (!from_stdin && ec) {
      return sdk::make_error(sdk::Errc::not_found, "cannot read the tarball: " + ec.message(),
                             request.source.string());
    }
    const auto held = lock();
    // The tarball becomes the layer blob as it is; a copy of stdin first.
    auto out = content_.writer();
    if (!out.ok()) {
      return std::move(out).error();
    }
    UniqueFd opened(from_stdin ? -1 : ::open(request.source.c_str(), O_RDONLY | O_CLOEXEC));
    const int in = from_stdin ? STDIN_FILENO : opened.get();
    if (in < 0) {
      return sdk::errno_error("open", request.source.string());
    }
    std::vector<char> buffer(1U << 20U);
    for (;;) {
      const auto n = ::read(in, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return sdk::errno_error("read", request.source.string());
      }
      if (n == 0) {
        break;
      }
      if (auto written = (*out)->write(buffer.data(), static_cast<std::size_t>(n)); !written.ok()) {
        return std::move(written).error();
      }
      if (progress) {
        progress("Copying tarball", (*out)->size(), total);
      }
    }
    auto blob = (*out)->commit();
    if (!blob.ok()) {
      return std::move(blob).error();
    }
    const auto name = from_stdin ? std::string("standard input") : request.source.string();
    auto reader = ArchiveLayerReader::open(content_.path_of(*blob), name);
    if (!reader.ok()) {
      remove_unreferenced_blobs(); // the same tarball may be another image's layer
      return std::move(reader).error();
    }
    const auto layer_type = layer_media_type((*reader)->compression());
    reader->reset();
    auto applied = layers_->apply("", content_.path_of(*blob), "", name,
                                  labelled(progress, "Applying layer", (*out)->size()));
    if (!applied.ok()) {
      remove_unreferenced_blobs();
      return std::move(applied).error();
    }
    const auto created = now_rfc3339();
    nlohmann::json config = {
        {"created", created},
        {"architecture", host_architecture()},
        {"os", "linux"},
        {"config", nlohmann::json::object()},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {applied->diff_id}}}},
        {"history",
         {{{"created", created},
           {"created_by",
            "berth import " + (from_stdin ? std::string("-") : request.source.string())},
           {"comment", request.message.empty() ? "imported from tarball" : request.message}}}}};
    auto config_text = config.dump();
    auto config_digest = content_.put(config_text);
    if (!config_digest.ok()) {
      return std::move(config_digest).error();
    }
    nlohmann::json manifest = {
        {"schemaVersion", 2},
        {"mediaType", media::kOciManifest},
        {"config", descriptor(media::kOciConfig, *config_digest, config_text.size())},
        {"layers", {descriptor(layer_type, *blob, (*out)->size())}}};
    auto manifest_digest = content_.put(manifest.dump());
    if (!manifest_digest.ok()) {
      return std::move(manifest_digest).error();
    }
    auto image = register_manifest(
        *manifest_digest, ref ? std::vector{ref->str()} : std::vector<std::string>{}, progress);
    if (!image.ok()) {
      (void)layers_->remove_unused();
      remove_unreferenced_blobs();
    }
    return image;
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<std::vector<std::string>> ImageService::load(const std::filesystem::path &file,
                                                         const Progress &progress) {
  try {
    const bool from_stdin = file == "-";
    const auto name = from_stdin ? std::string("standard input") : file.string();
    UniqueFd opened(from_stdin ? -1 : ::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!from_stdin && !opened.valid()) {
      return sdk::make_error(sdk::Errc::not_found,
                             std::string("cannot read the archive: ") + std::strerror(errno), name);
    }
    const int in = from_stdin ? STDIN_FILENO : opened.get();
    struct stat st {};
    const bool sized = ::fstat(in, &st) == 0 && S_ISREG(st.st_mode);
    const auto total = sized ? static_cast<std::uint64_t>(st.st_size) : 0U;
    const auto held = lock();
    auto contents =
        read_image_archive(in, name, content_, labelled(progress, "Reading archive", total));
    if (!contents.ok()) {
      remove_unreferenced_blobs();
      return std::move(contents).error();
    }
    auto loaded = load_contents(*contents, name, progress);
    if (!loaded.ok()) {
      (void)layers_->remove_unused();
    }
    remove_unreferenced_blobs();
    return loaded;
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

// An archive with index.json is read as an OCI layout, even when it is also a
// docker-archive (as Docker 25+ and berth write them): the OCI side keeps the
// manifests, so an image loads with the digest it was saved with.
sdk::Result<std::vector<std::string>> ImageService::load_contents(const ArchiveContents &contents,
                                                                  const std::string &name,
                                                                  const Progress &progress) {
  sdk::Result<std::vector<std::string>> loaded = std::vector<std::string>{};
  const auto &files = contents.index_files;
  if (auto index = files.find("index.json"); index != files.end()) {
    auto entries = parse_image_index(index->second);
    loaded = entries.ok() ? load_oci(*entries, progress) : std::move(entries).error();
  } else if (auto manifest = files.find("manifest.json"); manifest != files.end()) {
    auto images = parse_docker_manifest(manifest->second);
    loaded =
        images.ok() ? load_docker(*images, contents.blobs, progress) : std::move(images).error();
  } else {
    loaded = sdk::make_error(sdk::Errc::invalid_argument,
                             "neither an OCI archive (no index.json) nor a docker-archive (no "
                             "manifest.json)",
                             name);
  }
  if (!loaded.ok() && loaded.error().context.empty()) {
    auto error = std::move(loaded).error();
    error.context = name;
    return error;
  }
  return loaded;
}

sdk::Result<std::vector<std::string>> ImageService::load_oci(const std::vector<IndexEntry> &index,
                                                             const Progress &progress) {
  std::vector<std::string> loaded;
  for (const auto &entry : index) {
    auto digest = entry.target.digest;
    auto type = entry.target.media_type;
    if (media::is_index(type)) {
      // A multi-platform image: this host's platform, else the first.
      auto nested = read_document(digest, "image index", parse_image_index);
      if (!nested.ok()) {
        return std::move(nested).error();
      }
      if (nested->empty()) {
        return sdk::make_error(sdk::Errc::invalid_argument, "image index lists no manifests",
                               digest);
      }
      const auto &chosen = pick_platform(*nested, host_architecture()).target;
      digest = chosen.digest;
      type = chosen.media_type.empty() ? std::string(media::kOciManifest) : chosen.media_type;
    }
    if (!media::is_manifest(type)) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "unknown manifest media type '" + type + "'", digest);
    }
    std::vector<std::string> tags;
    if (const auto &name = entry.name; !name.empty()) {
      auto ref = parse_reference(name);
      if (!ref.ok()) {
        return std::move(ref).error();
      }
      tags.push_back(ref->str());
    }
    auto image = register_manifest(digest, tags, progress);
    if (!image.ok()) {
      return std::move(image).error();
    }
    loaded.push_back(tags.empty() ? image->id : tags.front());
  }
  return loaded;
}

sdk::Result<std::vector<std::string>>
ImageService::load_docker(const std::vector<DockerArchiveImage> &manifest,
                          const std::map<std::string, std::string> &files,
                          const Progress &progress) {
  std::vector<std::string> loaded;
  auto blob_of = [&](const std::string &path) -> sdk::Result<std::string> {
    auto normal = normalize_layer_path(path);
    auto found = normal.ok() ? files.find(*normal) : files.end();
    if (found == files.end()) {
      return sdk::make_error(sdk::Errc::not_found,
                             "manifest.json names " + path + ", which the archive lacks");
    }
    return found->second;
  };
  for (const auto &entry : manifest) {
    auto config = blob_of(entry.config);
    if (!config.ok()) {
      return std::move(config).error();
    }
    nlohmann::json layers = nlohmann::json::array();
    for (const auto &path : entry.layers) {
      auto blob = blob_of(path);
      if (!blob.ok()) {
        return std::move(blob).error();
      }
      auto reader = ArchiveLayerReader::open(content_.path_of(*blob), path);
      if (!reader.ok()) {
        return std::move(reader).error();
      }
      layers.push_back(descriptor(layer_media_type((*reader)->compression()), *blob,
                                  content_.size_of(*blob).value_or(0)));
    }
    const nlohmann::json oci = {
        {"schemaVersion", 2},
        {"mediaType", media::kOciManifest},
        {"config", descriptor(media::kOciConfig, *config, content_.size_of(*config).value_or(0))},
        {"layers", layers}};
    auto digest = content_.put(oci.dump());
    if (!digest.ok()) {
      return std::move(digest).error();
    }
    std::vector<std::string> tags;
    for (const auto &text : entry.repo_tags) {
      auto ref = parse_reference(text);
      if (!ref.ok()) {
        return std::move(ref).error();
      }
      tags.push_back(ref->str());
    }
    auto image = register_manifest(*digest, tags, progress);
    if (!image.ok()) {
      return std::move(image).error();
    }
    if (tags.empty()) {
      loaded.push_back(image->id);
    }
    loaded.insert(loaded.end(), tags.begin(), tags.end());
  }
  return loaded;
}

sdk::Result<std::pair<ImageRecord, nlohmann::json>>
ImageService::image_and_config(const std::string &reference) {
  auto id = resolve(reference);
  if (!id.ok()) {
    return std::move(id).error();
  }
  auto image = images_->get(*id);
  auto config = read_document(*id, "image config", parse_image_config);
  if (!image || !config.ok()) {
    return sdk::make_error(sdk::Errc::not_found, "image metadata is missing", *id);
  }
  return std::make_pair(std::move(*image), std::move(config->document));
}

sdk::Result<std::vector<ImageRecord>> ImageService::list() {
  try {
    return images_->list();
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<nlohmann::json> ImageService::inspect(const std::string &reference) {
  try {
    auto found = image_and_config(reference);
    if (!found.ok()) {
      return std::move(found).error();
    }
    const auto &[image, config] = *found;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto &layer : image.layers) {
      const auto record = layers_->find(layer.chain_id);
      layers.push_back({{"Digest", layer.blob},
                        {"MediaType", layer.media_type},
                        {"DiffID", record ? record->diff_id : ""},
                        {"ChainID", layer.chain_id},
                        {"Size", record ? record->size : 0}});
    }
    return nlohmann::json{{"Id", image.id},
                          {"Digest", image.manifest_digest},
                          {"RepoTags", image.tags},
                          {"Created", image.created},
                          {"Size", image.size},
                          {"Architecture", config.value("architecture", "")},
                          {"Os", config.value("os", "")},
                          {"Config", config.value("config", nlohmann::json::object())},
                          {"RootFS", config.value("rootfs", nlohmann::json::object())},
                          {"Layers", layers},
                          {"History", config.value("history", nlohmann::json::array())},
                          {"GraphDriver", {{"Name", driver_name_}}}};
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<nlohmann::json> ImageService::history(const std::string &reference) {
  try {
    auto found = image_and_config(reference);
    if (!found.ok()) {
      return std::move(found).error();
    }
    const auto &[image, config] = *found;
    // History entries that made a layer take the layers' sizes in order.
    nlohmann::json rows = nlohmann::json::array();
    std::size_t layer = 0;
    for (const auto &step : config.value("history", nlohmann::json::array())) {
      std::uint64_t size = 0;
      if (!step.value("empty_layer", false) && layer < image.layers.size()) {
        if (auto record = layers_->find(image.layers[layer].chain_id)) {
          size = record->size;
        }
        ++layer;
      }
      rows.push_back({{"Created", step.value("created", "")},
                      {"CreatedBy", step.value("created_by", "")},
                      {"Size", size},
                      {"Comment", step.value("comment", "")}});
    }
    // Newest first, as docker history prints; the top row names the image.
    std::reverse(rows.begin(), rows.end());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      rows[i]["Id"] = i == 0 ? image.id : "<missing>";
    }
    return rows;
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<void> ImageService::tag(const std::string &source, const std::string &target) {
  try {
    auto ref = parse_reference(target);
    if (!ref.ok()) {
      return std::move(ref).error();
    }
    if (!ref->digest.empty()) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "a tag cannot contain a digest: " + target);
    }
    const auto held = lock();
    auto id = resolve(source);
    if (!id.ok()) {
      return std::move(id).error();
    }
    Transaction transaction(*db_);
    images_->set_tag(ref->str(), *id);
    transaction.commit();
    return {};
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<void> ImageService::delete_image(const ImageRecord &image, RemoveResult &result) {
  {
    Transaction transaction(*db_);
    for (const auto &tag : image.tags) {
      images_->remove_tag(tag);
      result.lines.push_back("Untagged: " + tag);
    }
    images_->remove(image.id);
    transaction.commit();
  }
  result.lines.push_back("Deleted: " + image.id);
  result.reclaimed += image.size;
  return {};
}

sdk::Result<RemoveResult> ImageService::remove(const std::vector<std::string> &references,
                                               bool force) {
  try {
    const auto held = lock();
    RemoveResult result;
    for (const auto &reference : references) {
      auto id = resolve(reference);
      if (!id.ok()) {
        return std::move(id).error();
      }
      auto image = images_->get(*id);
      auto parsed = parse_reference(reference);
      const bool by_tag = parsed.ok() && images_->by_tag(parsed->str()) == *id;
      if (by_tag && image->tags.size() > 1) {
        Transaction transaction(*db_);
        images_->remove_tag(parsed->str());
        transaction.commit();
        result.lines.push_back("Untagged: " + parsed->str());
        continue;
      }
      if (!by_tag && image->tags.size() > 1 && !force) {
        return sdk::make_error(sdk::Errc::busy,
                               "image is referenced in " + std::to_string(image->tags.size()) +
                                   " tags; remove them by name or use -f to remove them all",
                               reference);
      }
      if (auto kept = keep_for_containers(*image, reference, by_tag, force, result);
          !kept.ok() || *kept) {
        if (!kept.ok()) {
          return std::move(kept).error();
        }
        continue;
      }
      if (const auto mounted = mounted_path(*id)) {
        if (!force) {
          return sdk::make_error(sdk::Errc::busy,
                                 "image is mounted at " + mounted->string() +
                                     "; run 'berth image umount " + reference +
                                     "' first, or use -f",
                                 reference);
        }
        if (auto undone = unmount_locked(*id); !undone.ok()) {
          return std::move(undone).error();
        }
      }
      if (auto deleted = delete_image(*image, result); !deleted.ok()) {
        return std::move(deleted).error();
      }
    }
    auto removed = layers_->remove_unused();
    remove_unreferenced_blobs();
    if (!removed.ok()) {
      return std::move(removed).error();
    }
    return result;
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<RemoveResult> ImageService::prune(bool all) {
  try {
    const auto held = lock();
    RemoveResult result;
    for (const auto &image : images_->list()) {
      const bool used = users_ && !users_(image.id).empty();
      if ((all || image.tags.empty()) && !used && !mounted_path(image.id)) {
        if (auto deleted = delete_image(image, result); !deleted.ok()) {
          return std::move(deleted).error();
        }
      }
    }
    auto removed = layers_->remove_unused();
    remove_unreferenced_blobs();
    if (!removed.ok()) {
      return std::move(removed).error();
    }
    return result;
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

// Docker's rule: an image a container uses is not deleted; with -f its
// tags go and the image stays, untagged, until the container is removed.
sdk::Result<bool> ImageService::keep_for_containers(const ImageRecord &image,
                                                    const std::string &reference, bool by_tag,
                                                    bool force, RemoveResult &result) {
  const auto users = users_ ? users_(image.id) : std::vector<std::string>{};
  if (users.empty()) {
    return false;
  }
  if (!force) {
    return sdk::make_error(sdk::Errc::busy,
                           "image is being used by container " + users.front() +
                               "; remove the container first (berth rm " + users.front() +
                               ") or use -f to untag the image",
                           reference);
  }
  const auto parsed = parse_reference(reference);
  const auto named = by_tag && parsed.ok() ? parsed->str() : std::string{};
  Transaction transaction(*db_);
  for (const auto &tag : image.tags) {
    if (named.empty() || tag == named) {
      images_->remove_tag(tag);
      result.lines.push_back("Untagged: " + tag);
    }
  }
  transaction.commit();
  return true;
}

sdk::Result<ContainerRootfs> ImageService::prepare_container(
    const std::string &reference, const std::string &key,
    const std::function<sdk::Result<void>(const std::string &image_id)> &record) {
  try {
    // Only the lock: a container's snapshot is active, which garbage
    // collection never touches, and GC's walk would cost every start.
    const FileLock held(root_ / "store.lock");
    auto found = image_and_config(reference);
    if (!found.ok()) {
      return std::move(found).error();
    }
    auto &[image, config] = *found;
    const auto parent = image.layers.empty() ? std::string{} : image.layers.back().chain_id;
    auto prepared = layers_->driver().prepare(key, parent);
    if (!prepared.ok()) {
      return std::move(prepared).error();
    }
    if (auto recorded = record(image.id); !recorded.ok()) {
      (void)layers_->driver().remove(key);
      return std::move(recorded).error();
    }
    return ContainerRootfs{image.id, std::move(config), std::move(prepared).value()};
  } catch (const std::exception &e) {
    (void)layers_->driver().remove(key);
    return wrap(e);
  }
}

sdk::Result<std::vector<sdk::Mount>> ImageService::container_mounts(const std::string &key) {
  return layers_->driver().mounts(key);
}

sdk::Result<std::string> ImageService::diff_container(const std::string &key) {
  auto snapshot = layers_->driver().stat(key);
  if (!snapshot.ok()) {
    return std::move(snapshot).error();
  }
  return layers_->diff(key, snapshot->parent, content_);
}

sdk::Result<void> ImageService::remove_container(const std::string &key) {
  try {
    const FileLock held(root_ / "store.lock");
    auto removed = layers_->driver().remove(key);
    if (!removed.ok() && removed.error().code != sdk::Errc::not_found) {
      return removed;
    }
    return {};
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

void ImageService::remove_unreferenced_blobs() {
  const auto referenced = images_->referenced_blobs();
  const std::set<std::string> keep(referenced.begin(), referenced.end());
  for (const auto &blob : content_.list()) {
    if (keep.count(blob) == 0) {
      content_.remove(blob);
    }
  }
}

sdk::Result<nlohmann::json> ImageService::disk_usage() {
  try {
    const auto images = images_->list();
    std::uint64_t blob_bytes = 0;
    const auto blobs = content_.list();
    for (const auto &blob : blobs) {
      blob_bytes += content_.size_of(blob).value_or(0);
    }
    std::uint64_t layer_bytes = 0;
    std::size_t layer_count = 0;
    auto query = db_->prepare("SELECT chain_id FROM layers");
    while (query.step()) {
      ++layer_count;
      if (auto usage = layers_->driver().usage(query.text(0)); usage.ok()) {
        layer_bytes += usage->bytes;
      }
    }
    std::size_t dangling = 0;
    std::uint64_t dangling_bytes = 0;
    for (const auto &image : images) {
      if (image.tags.empty()) {
        ++dangling;
        dangling_bytes += image.size;
      }
    }
    return nlohmann::json{
        {"Images",
         {{"Total", images.size()}, {"Dangling", dangling}, {"Reclaimable", dangling_bytes}}},
        {"Layers", {{"Total", layer_count}, {"Size", layer_bytes}, {"Driver", driver_name_}}},
        {"Blobs", {{"Total", blobs.size()}, {"Size", blob_bytes}}}};
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

// Views of `image mount` whose row never got written (a crash between the
// two): they would keep their layers busy for ever.
void ImageService::remove_stray_mounts() {
  std::vector<std::string> keys;
  (void)layers_->driver().walk([&](const sdk::SnapshotInfo &info) {
    if (info.key.starts_with("mount-")) {
      keys.push_back(info.key);
    }
  });
  for (const auto &key : keys) {
    const auto id = "sha256:" + key.substr(6);
    if (!mounted_path(id)) {
      (void)sdk::unmount(mount_point(id));
      (void)layers_->driver().remove(key);
    }
  }
}

// Statements are finished before anything else runs: a read left open would
// pin an old snapshot, and the write after a plugin's own write would fail.
std::optional<std::filesystem::path> ImageService::mounted_path(const std::string &id) {
  auto query = db_->prepare("SELECT path FROM image_mounts WHERE image_id = ?");
  query.bind(1, id);
  if (!query.step()) {
    return std::nullopt;
  }
  return std::filesystem::path(query.text(0));
}

std::filesystem::path ImageService::mount_point(const std::string &id) const {
  return root_ / "mounts" / short_id(id);
}

sdk::Result<std::filesystem::path> ImageService::mount(const std::string &reference) {
  try {
    const auto held = lock();
    auto id = resolve(reference);
    if (!id.ok()) {
      return std::move(id).error();
    }
    if (auto existing = mounted_path(*id)) {
      return *existing;
    }
    auto image = images_->get(*id);
    const auto key = "mount-" + std::string(digest_hex(*id));
    (void)layers_->driver().remove(key); // a view a crash left unmounted
    const auto top = image->layers.empty() ? std::string() : image->layers.back().chain_id;
    auto mounts = layers_->driver().view(key, top);
    if (!mounts.ok()) {
      return std::move(mounts).error();
    }
    // Image contents are untrusted: no setuid binary or device node in them
    // works through this mount.
    for (auto &spec : *mounts) {
      spec.options.insert(spec.options.end(), {"nosuid", "nodev"});
    }
    const auto path = mount_point(*id);
    std::filesystem::create_directories(path);
    if (auto mounted = sdk::mount_all(*mounts, path); !mounted.ok()) {
      (void)layers_->driver().remove(key);
      return std::move(mounted).error();
    }
    try {
      Transaction transaction(*db_);
      db_->prepare("INSERT INTO image_mounts(image_id, path) VALUES(?, ?)")
          .bind(1, *id)
          .bind(2, path.string())
          .run();
      transaction.commit();
    } catch (const std::exception &) {
      (void)sdk::unmount(path);
      (void)layers_->driver().remove(key);
      throw;
    }
    return path;
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<void> ImageService::unmount(const std::string &reference) {
  try {
    const auto held = lock();
    return unmount_locked(reference);
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

sdk::Result<void> ImageService::unmount_locked(const std::string &reference) {
  try {
    auto id = resolve(reference);
    if (!id.ok()) {
      return std::move(id).error();
    }
    const auto mounted = mounted_path(*id);
    if (!mounted) {
      return sdk::make_error(sdk::Errc::not_found, "image is not mounted", reference);
    }
    const auto &path = *mounted;
    // Gone already (a reboot, another mount namespace) is fine; a mount
    // that stays must keep its view, which its lower directories need.
    if (auto undone = sdk::unmount(path); !undone.ok() && is_mount_point(path)) {
      return undone;
    }

    std::error_code ec;
    std::filesystem::remove(path, ec);
    (void)layers_->driver().remove("mount-" + std::string(digest_hex(*id)));
    Transaction transaction(*db_);
    db_->prepare("DELETE FROM image_mounts WHERE image_id = ?").bind(1, *id).run();
    transaction.commit();
    return {};
  } catch (const std::exception &e) {
    return wrap(e);
  }
}

} // namespace berth
