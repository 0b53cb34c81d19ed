#include "image/manifest.hpp"

#include "image/digest.hpp"
#include "image/media_types.hpp"

namespace berth {
namespace {

using json = nlohmann::json;

// Thrown inside this file only; each parse_* turns it into an sdk::Error.
struct Invalid {
  std::string message;
};

std::string kind_of(const json &value) {
  switch (value.type()) {
  case json::value_t::object: return "an object";
  case json::value_t::array: return "a list";
  case json::value_t::string: return "a string";
  case json::value_t::boolean: return "a boolean";
  case json::value_t::null: return "null";
  default: return "a number";
  }
}

[[noreturn]] void wrong_type(const std::string &where, const json &value, const char *expected) {
  throw Invalid{where + " is " + kind_of(value) + ", not " + expected};
}

std::string child(const std::string &where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

std::string item(const std::string &where, std::size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

// A field of object, or nullptr when it is absent or null: JSON writers
// differ on which they use for "none".
const json *field(const json &object, std::string_view key) {
  const auto found = object.find(key);
  return found == object.end() || found->is_null() ? nullptr : &*found;
}

std::string string_at(const json &object, std::string_view key, const std::string &where,
                      std::string fallback = {}) {
  const auto *value = field(object, key);
  if (value == nullptr) {
    return fallback;
  }
  if (!value->is_string()) {
    wrong_type(child(where, key), *value, "a string");
  }
  return value->get<std::string>();
}

std::vector<std::string> strings_at(const json &object, std::string_view key,
                                    const std::string &where) {
  const auto *value = field(object, key);
  if (value == nullptr) {
    return {};
  }
  if (!value->is_array()) {
    wrong_type(child(where, key), *value, "a list of strings");
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_string()) {
      wrong_type(item(child(where, key), i), (*value)[i], "a string");
    }
    out.push_back((*value)[i].get<std::string>());
  }
  return out;
}

// An object or list field of object; absent or null reads as an empty one.
const json &structured_at(const json &object, std::string_view key, const std::string &where,
                          json::value_t type) {
  static const json empty_object = json::object();
  static const json empty_list = json::array();
  const auto *value = field(object, key);
  const bool list = type == json::value_t::array;
  if (value == nullptr) {
    return list ? empty_list : empty_object;
  }
  if (value->type() != type) {
    wrong_type(child(where, key), *value, list ? "a list" : "an object");
  }
  return *value;
}

const json &object_at(const json &object, std::string_view key, const std::string &where) {
  return structured_at(object, key, where, json::value_t::object);
}

const json &array_at(const json &object, std::string_view key, const std::string &where) {
  return structured_at(object, key, where, json::value_t::array);
}

const json &object_item(const json &list, std::size_t index, const std::string &where) {
  if (!list[index].is_object()) {
    wrong_type(item(where, index), list[index], "an object");
  }
  return list[index];
}

// nlohmann::json parses without recursion but copies and prints with it, so
// an image nesting arrays a million deep would overflow the stack of a later
// `run` or `inspect`. Images nest a handful of levels.
constexpr int kMaxDepth = 100;

json parse_document(std::string_view text, const char *what) {
  const json::parser_callback_t bounded = [what](int depth, json::parse_event_t, json &) {
    if (depth > kMaxDepth) {
      throw Invalid{std::string("the ") + what + " nests more than " + std::to_string(kMaxDepth) +
                    " levels deep"};
    }
    return true;
  };
  auto document = json::parse(text, bounded, false);
  if (document.is_discarded()) {
    throw Invalid{std::string("the ") + what + " is not valid JSON"};
  }
  return document;
}

json parse_object(std::string_view text, const char *what) {
  auto document = parse_document(text, what);
  if (!document.is_object()) {
    throw Invalid{std::string("the ") + what + " is " + kind_of(document) + ", not an object"};
  }
  return document;
}

// Runs read, turning Invalid into an error.
template <typename Read> auto checked(Read read) -> sdk::Result<decltype(read())> {
  try {
    return read();
  } catch (const Invalid &invalid) {
    return sdk::make_error(sdk::Errc::invalid_argument, invalid.message);
  }
}

void drop_nulls(json &object, std::initializer_list<const char *> keys) {
  for (const char *key : keys) {
    if (const auto found = object.find(key); found != object.end() && found->is_null()) {
      object.erase(found);
    }
  }
}

// Every field of the config berth reads, with the type Docker gives it.
// Nulls among them are dropped: Docker writes `"Env": null` for none.
void check_container_config(json &config) {
  const std::string where = "config";
  for (const char *key : {"User", "WorkingDir", "StopSignal"}) {
    (void)string_at(config, key, where);
  }
  for (const char *key : {"Env", "Entrypoint", "Cmd"}) {
    (void)strings_at(config, key, where);
  }
  for (const char *key : {"ExposedPorts", "Volumes", "Healthcheck"}) {
    (void)object_at(config, key, where);
  }
  for (const auto &[name, value] : object_at(config, "Labels", where).items()) {
    if (!value.is_string()) {
      wrong_type(child(child(where, "Labels"), name), value, "a string");
    }
  }
  drop_nulls(config, {"User", "WorkingDir", "StopSignal", "Env", "Entrypoint", "Cmd",
                      "ExposedPorts", "Volumes", "Healthcheck", "Labels"});
}

void check_history(const json &document) {
  const auto &history = array_at(document, "history", "");
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto &step = object_item(history, i, "history");
    for (const char *key : {"created", "created_by", "comment", "author"}) {
      (void)string_at(step, key, item("history", i));
    }
    if (const auto *empty = field(step, "empty_layer"); empty != nullptr && !empty->is_boolean()) {
      wrong_type(child(item("history", i), "empty_layer"), *empty, "a boolean");
    }
  }
}

} // namespace

sdk::Result<ImageManifest> parse_image_manifest(std::string_view text) {
  return checked([&] {
    const auto document = parse_object(text, "manifest");
    ImageManifest manifest;
    manifest.media_type = string_at(document, "mediaType", "", std::string(media::kOciManifest));
    if (!media::is_manifest(manifest.media_type)) {
      throw Invalid{"unknown manifest media type '" + manifest.media_type + "'"};
    }
    const auto &config = object_at(document, "config", "");
    manifest.config = {string_at(config, "mediaType", "config", std::string(media::kOciConfig)),
                       string_at(config, "digest", "config")};
    if (!media::is_config(manifest.config.media_type)) {
      throw Invalid{"unknown config media type '" + manifest.config.media_type + "'"};
    }
    if (!is_digest(manifest.config.digest)) {
      throw Invalid{"the config is not named by a sha256 digest"};
    }
    const auto &layers = array_at(document, "layers", "");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const auto &layer = object_item(layers, i, "layers");
      Descriptor descriptor{string_at(layer, "mediaType", item("layers", i)),
                            string_at(layer, "digest", item("layers", i))};
      if (!media::is_layer(descriptor.media_type)) {
        throw Invalid{"layer " + descriptor.digest + " has unknown media type '" +
                      descriptor.media_type + "'"};
      }
      if (!is_digest(descriptor.digest)) {
        throw Invalid{"layer " + std::to_string(i) + " is not named by a sha256 digest"};
      }
      manifest.layers.push_back(std::move(descriptor));
    }
    return manifest;
  });
}

sdk::Result<std::vector<IndexEntry>> parse_image_index(std::string_view text) {
  return checked([&] {
    const auto document = parse_object(text, "image index");
    const auto &manifests = array_at(document, "manifests", "");
    std::vector<IndexEntry> entries;
    for (std::size_t i = 0; i < manifests.size(); ++i) {
      const auto where = item("manifests", i);
      const auto &entry = object_item(manifests, i, "manifests");
      IndexEntry out;
      out.target = {string_at(entry, "mediaType", where), string_at(entry, "digest", where)};
      const auto &annotations = object_at(entry, "annotations", where);
      const auto annotations_at = child(where, "annotations");
      out.name =
          string_at(annotations, "io.containerd.image.name", annotations_at,
                    string_at(annotations, "org.opencontainers.image.ref.name", annotations_at));
      const auto &platform = object_at(entry, "platform", where);
      out.os = string_at(platform, "os", child(where, "platform"));
      out.architecture = string_at(platform, "architecture", child(where, "platform"));
      entries.push_back(std::move(out));
    }
    return entries;
  });
}

sdk::Result<std::vector<DockerArchiveImage>> parse_docker_manifest(std::string_view text) {
  return checked([&] {
    const auto document = parse_document(text, "manifest.json");
    if (!document.is_array()) {
      throw Invalid{"manifest.json is " + kind_of(document) + ", not a list"};
    }
    std::vector<DockerArchiveImage> images;
    for (std::size_t i = 0; i < document.size(); ++i) {
      const auto where = item("manifest.json", i);
      const auto &entry = object_item(document, i, "manifest.json");
      images.push_back({string_at(entry, "Config", where), strings_at(entry, "Layers", where),
                        strings_at(entry, "RepoTags", where)});
    }
    return images;
  });
}

sdk::Result<ImageConfig> parse_image_config(std::string_view text) {
  return checked([&] {
    ImageConfig config;
    config.document = parse_object(text, "image config");
    auto &document = config.document;
    config.created = string_at(document, "created", "");
    (void)string_at(document, "architecture", "");
    (void)string_at(document, "os", "");
    config.diff_ids = strings_at(object_at(document, "rootfs", ""), "diff_ids", "rootfs");
    for (std::size_t i = 0; i < config.diff_ids.size(); ++i) {
      if (!is_digest(config.diff_ids[i])) {
        throw Invalid{"layer " + std::to_string(i) + " is not named by a sha256 digest"};
      }
    }
    check_history(document);
    (void)object_at(document, "config", "");
    if (auto found = document.find("config"); found != document.end() && found->is_object()) {
      check_container_config(*found);
    }
    drop_nulls(document, {"created", "architecture", "os", "config", "rootfs", "history"});
    return config;
  });
}

const IndexEntry &pick_platform(const std::vector<IndexEntry> &entries,
                                std::string_view architecture) {
  for (const auto &entry : entries) {
    if (entry.os == "linux" && entry.architecture == architecture) {
      return entry;
    }
  }
  return entries.front();
}

} // namespace berth
