#include "cluster/api/protobuf_body.hpp"
#include "http/base64.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>

namespace berth::cluster::api {
namespace {

using nlohmann::json;

// One field of a protobuf message: its number and either a varint value or
// the bytes of a length-delimited one (strings, maps, nested messages).
struct Field {
  std::uint64_t number = 0;
  std::uint64_t wire_type = 0;
  std::uint64_t varint = 0;
  std::string_view bytes;
};

class WireReader {
public:
  explicit WireReader(std::string_view data) : data_(data) {}

  // False at the end of the message; throws on malformed input.
  bool next(Field &field) {
    if (at_ >= data_.size()) {
      return false;
    }
    const std::uint64_t key = varint();
    field = Field{key >> 3U, key & 7U, 0, {}};
    switch (field.wire_type) {
    case 0: field.varint = varint(); break;
    case 1: skip(8); break;
    case 2: {
      const std::uint64_t size = varint();
      if (size > data_.size() - at_) {
        throw std::runtime_error("a field runs past the end of the message");
      }
      field.bytes = data_.substr(at_, size);
      at_ += size;
      break;
    }
    case 5: skip(4); break;
    default: throw std::runtime_error("unsupported wire type " + std::to_string(field.wire_type));
    }
    return true;
  }

private:
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (at_ >= data_.size()) {
        throw std::runtime_error("truncated varint");
      }
      const auto byte = static_cast<unsigned char>(data_[at_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7fU) << shift;
      if ((byte & 0x80U) == 0) {
        return value;
      }
    }
    throw std::runtime_error("varint too long");
  }

  void skip(std::size_t size) {
    if (size > data_.size() - at_) {
      throw std::runtime_error("truncated fixed-size field");
    }
    at_ += size;
  }

  std::string_view data_;
  std::size_t at_ = 0;
};

void for_each_field(std::string_view message, const std::function<void(const Field &)> &visit) {
  WireReader reader(message);
  Field field;
  while (reader.next(field)) {
    visit(field);
  }
}

// A map<string, string|bytes> entry: key = 1, value = 2.
void add_map_entry(json &map, std::string_view entry, bool bytes_value) {
  std::string key;
  std::string value;
  for_each_field(entry, [&](const Field &field) {
    if (field.number == 1) {
      key = field.bytes;
    } else if (field.number == 2) {
      value = field.bytes;
    }
  });
  map[key] = bytes_value ? http::base64_encode(value) : value;
}

void set_string(json &object, const char *name, std::string_view value) {
  // Go's generated code writes empty strings too; JSON would omit them.
  if (!value.empty()) {
    object[name] = std::string(value);
  }
}

// k8s.io/apimachinery ObjectMeta, the fields a client may set.
json object_meta(std::string_view message) {
  json meta = json::object();
  for_each_field(message, [&](const Field &field) {
    switch (field.number) {
    case 1: set_string(meta, "name", field.bytes); break;
    case 2: set_string(meta, "generateName", field.bytes); break;
    case 3: set_string(meta, "namespace", field.bytes); break;
    case 6: set_string(meta, "resourceVersion", field.bytes); break;
    case 11: add_map_entry(meta["labels"], field.bytes, false); break;
    case 12: add_map_entry(meta["annotations"], field.bytes, false); break;
    case 14: meta["finalizers"].push_back(std::string(field.bytes)); break;
    default: break; // server-set (uid, timestamps) or not kept by berth
    }
  });
  return meta;
}

json config_map(std::string_view raw) {
  json object = json::object();
  for_each_field(raw, [&](const Field &field) {
    switch (field.number) {
    case 1: object["metadata"] = object_meta(field.bytes); break;
    case 2: add_map_entry(object["data"], field.bytes, false); break;
    case 3: add_map_entry(object["binaryData"], field.bytes, true); break;
    case 4: object["immutable"] = field.varint != 0; break;
    default: break;
    }
  });
  return object;
}

json secret(std::string_view raw) {
  json object = json::object();
  for_each_field(raw, [&](const Field &field) {
    switch (field.number) {
    case 1: object["metadata"] = object_meta(field.bytes); break;
    case 2: add_map_entry(object["data"], field.bytes, true); break;
    case 3: set_string(object, "type", field.bytes); break;
    case 4: add_map_entry(object["stringData"], field.bytes, false); break;
    case 5: object["immutable"] = field.varint != 0; break;
    default: break;
    }
  });
  return object;
}

json namespace_object(std::string_view raw) {
  json object = json::object();
  for_each_field(raw, [&](const Field &field) {
    if (field.number == 1) {
      object["metadata"] = object_meta(field.bytes);
    } else if (field.number == 2) {
      json spec = json::object();
      for_each_field(field.bytes, [&](const Field &finalizer) {
        if (finalizer.number == 1) {
          spec["finalizers"].push_back(std::string(finalizer.bytes));
        }
      });
      object["spec"] = spec;
    }
  });
  return object;
}

} // namespace

std::optional<json> decode_protobuf_object(std::string_view body, std::string &error) {
  static constexpr std::string_view kMagic{"k8s\0", 4};
  if (body.substr(0, kMagic.size()) != kMagic) {
    error = "the protobuf body does not start with the Kubernetes envelope";
    return std::nullopt;
  }
  try {
    std::string api_version;
    std::string kind;
    std::string_view raw;
    for_each_field(body.substr(kMagic.size()), [&](const Field &field) {
      if (field.number == 1) { // TypeMeta
        for_each_field(field.bytes, [&](const Field &type) {
          if (type.number == 1) {
            api_version = type.bytes;
          } else if (type.number == 2) {
            kind = type.bytes;
          }
        });
      } else if (field.number == 2) {
        raw = field.bytes;
      }
    });
    const std::map<std::string, std::function<json(std::string_view)>> decoders{
        {"ConfigMap", config_map}, {"Secret", secret}, {"Namespace", namespace_object}};
    const auto decoder = decoders.find(kind);
    if (decoder == decoders.end()) {
      error = "berth cannot read " + (kind.empty() ? std::string("this kind") : kind) +
              " as protobuf; send it as application/json";
      return std::nullopt;
    }
    json object = decoder->second(raw);
    object["apiVersion"] = api_version;
    object["kind"] = kind;
    return object;
  } catch (const std::exception &failure) {
    error = std::string("malformed protobuf body: ") + failure.what();
    return std::nullopt;
  }
}

} // namespace berth::cluster::api
