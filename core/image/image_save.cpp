// ImageService::save: the images named, written as one archive that is both
// an OCI layout and a docker-archive (archive_layout.hpp), to a file or to
// standard output.
#include "image/image_service.hpp"

#include "image/archive_io.hpp"
#include "image/archive_layout.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "image/reference.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace berth {
namespace {

// Written to a fresh file beside the target (O_EXCL: no symlink planted there
// is followed), synced, and renamed over it: a failure or crash never leaves
// a half archive under the name the user gave, and a file already there stays
// as it was until the new one is whole.
sdk::Result<void> write_atomically(const std::filesystem::path &file,
                                   const std::function<sdk::Result<void>(int)> &write) {
  auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::string temp = (dir / ".berth-save-XXXXXX").string();
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) {
    return sdk::errno_error("create", dir.string());
  }
  ::fchmod(fd.get(), 0644);
  auto written = write(fd.get());
  if (written.ok() && ::fsync(fd.get()) != 0) {
    written = sdk::errno_error("fsync", file.string());
  }
  if (written.ok() && ::rename(temp.c_str(), file.c_str()) != 0) {
    written = sdk::errno_error("rename", file.string());
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());
  }
  return written;
}

// The manifest's own media type, for its descriptor in index.json: an image
// loaded from a Docker registry layout keeps its Docker manifest.
std::string manifest_media_type(const ContentStore &content, const std::string &digest) {
  auto text = content.read(digest);
  auto manifest = text.ok() ? parse_image_manifest(*text) : std::move(text).error();
  return manifest.ok() ? manifest->media_type : std::string(media::kOciManifest);
}

SavedImage saved_image(const ImageRecord &image, const ContentStore &content) {
  SavedImage saved;
  saved.config_digest = image.id;
  saved.manifest_digest = image.manifest_digest;
  saved.manifest_media_type = manifest_media_type(content, image.manifest_digest);
  saved.manifest_size = content.size_of(image.manifest_digest).value_or(0);
  for (const auto &layer : image.layers) {
    saved.layer_blobs.push_back(layer.blob);
  }
  return saved;
}

} // namespace

sdk::Result<std::vector<SavedImage>>
ImageService::images_to_save(const std::vector<std::string> &references) {
  std::vector<SavedImage> images;
  for (const auto &reference : references) {
    auto id = resolve(reference);
    if (!id.ok()) {
      return std::move(id).error();
    }
    auto found = std::find_if(images.begin(), images.end(),
                              [&](const SavedImage &image) { return image.config_digest == *id; });
    if (found == images.end()) {
      auto image = images_->get(*id);
      if (!image) {
        return sdk::make_error(sdk::Errc::not_found, "no such image: " + reference);
      }
      found = images.insert(images.end(), saved_image(*image, content_));
    }
    // A tag saves the image under that name; an id or a digest under none,
    // as docker save does.
    auto parsed = parse_reference(reference);
    if (parsed.ok() && !parsed->tag.empty() && images_->by_tag(parsed->str()) == *id &&
        std::none_of(found->names.begin(), found->names.end(),
                     [&](const Reference &name) { return name.str() == parsed->str(); })) {
      found->names.push_back(*parsed);
    }
  }
  return images;
}

sdk::Result<void> ImageService::save(const std::vector<std::string> &references,
                                     const std::filesystem::path &file, const Progress &progress) {
  try {
    auto images = images_to_save(references);
    if (!images.ok()) {
      return std::move(images).error();
    }
    const auto layout = dual_archive_layout(*images);
    std::uint64_t total = 0;
    for (const auto &blob : layout.blobs) {
      total += content_.size_of(blob).value_or(0);
    }
    const auto name = file == "-" ? std::string("standard output") : file.string();
    auto write = [&](int fd) {
      return write_image_archive(fd, name, layout.files, layout.blobs, content_,
                                 labelled(progress, "Writing archive", total));
    };
    return file == "-" ? write(STDOUT_FILENO) : write_atomically(file, write);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::internal, e.what());
  }
}

} // namespace berth
