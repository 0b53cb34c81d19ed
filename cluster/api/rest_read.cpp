// GET of one object and of collections (list; watch is in rest_watch.cpp).
#include "cluster/api/label_selector.hpp"
#include "cluster/api/object_meta.hpp"
#include "cluster/api/rest.hpp"

#include <charconv>

namespace berth::cluster::api {
namespace {

using nlohmann::json;

std::string to_hex(const std::string &bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kHex[byte >> 4U]);
    out.push_back(kHex[byte & 0xfU]);
  }
  return out;
}

std::string from_hex(const std::string &hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// `continue` tokens carry the list's revision and the next key, so every
// page describes the same moment. Clients treat them as opaque.
std::string encode_continue(Revision revision, const std::string &key) {
  return std::to_string(revision) + ":" + to_hex(key);
}

void decode_continue(const std::string &token, ListOptions &options) {
  const auto colon = token.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw bad_request("invalid continue token '" + token + "'; list again without it");
  }
  try {
    options.revision = std::stoll(token.substr(0, colon));
    options.continue_key = from_hex(token.substr(colon + 1));
  } catch (const std::exception &) {
    throw bad_request("invalid continue token '" + token + "'; list again without it");
  }
}

std::int64_t parse_limit(const std::string &text) {
  std::int64_t limit = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (error != std::errc() || end != text.data() + text.size() || limit < 0) {
    throw bad_request("invalid limit '" + text + "': want a non-negative integer");
  }
  return limit;
}

LabelSelector label_selector_of(const http::Request &request) {
  std::string error;
  auto selector = LabelSelector::parse(request.query_value("labelSelector"), error);
  if (!selector) {
    throw bad_request("unable to parse requirement: " + error);
  }
  return *selector;
}

// A field path "metadata.name" as a JSON pointer "/metadata/name".
json::json_pointer field_pointer(const std::string &path) {
  std::string pointer = "/" + path;
  for (char &c : pointer) {
    c = c == '.' ? '/' : c;
  }
  return json::json_pointer(pointer);
}

std::string field_value(const json &object, const std::string &path) {
  const auto pointer = field_pointer(path);
  if (!object.contains(pointer)) {
    return {};
  }
  const json &value = object.at(pointer);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

} // namespace

bool matches_fields(const json &object, const std::string &selector) {
  std::size_t start = 0;
  while (start < selector.size()) {
    auto comma = selector.find(',', start);
    comma = comma == std::string::npos ? selector.size() : comma;
    const std::string term = selector.substr(start, comma - start);
    start = comma + 1;
    const auto equals = term.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw bad_request("invalid field selector '" + term + "'");
    }
    const bool negated = term[equals - 1] == '!';
    const std::string field = term.substr(0, negated ? equals - 1 : equals);
    const std::size_t value_at = term.compare(equals, 2, "==") == 0 ? equals + 2 : equals + 1;
    if ((field_value(object, field) == term.substr(value_at)) == negated) {
      return false;
    }
  }
  return true;
}

bool wants_table(const http::Request &request) {
  const std::string accept = request.header("accept");
  return accept.find("as=Table") != std::string::npos &&
         accept.find("g=meta.k8s.io") != std::string::npos;
}

json to_table(const ResourceInfo &resource, const std::vector<json> &objects,
              const std::string &resource_version) {
  json columns = json::array();
  for (const TableColumn &column : resource.columns) {
    columns.push_back({{"name", column.name},
                       {"type", column.type},
                       {"format", column.format},
                       {"description", column.description},
                       {"priority", column.priority}});
  }
  const auto now = std::chrono::system_clock::now();
  json rows = json::array();
  for (const json &object : objects) {
    // The row carries the object's metadata, which -A, --show-labels and
    // -o name read.
    rows.push_back({{"cells", resource.cells(object, now)},
                    {"object",
                     {{"kind", "PartialObjectMetadata"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", object.value("metadata", json::object())}}}});
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", resource_version}}},
          {"columnDefinitions", columns},
          {"rows", rows}};
}

http::Response RestHandlers::get(const ObjectRef &ref, const http::Request &request) {
  auto kv = store_.get(object_key(ref));
  if (!kv) {
    throw from_store(kv.error(), ref.resource->name, ref.name);
  }
  json object = decode_object(*kv);
  if (wants_table(request)) {
    return json_response(to_table(*ref.resource, {object}, std::to_string(kv->mod_revision)));
  }
  return json_response(object);
}

http::Response RestHandlers::list(const ObjectRef &ref, const http::Request &request) {
  const std::string watch = request.query_value("watch");
  if (watch == "true" || watch == "1") {
    return this->watch(ref, request);
  }
  const LabelSelector labels = label_selector_of(request);
  const std::string fields = request.query_value("fieldSelector");
  const std::int64_t limit =
      parse_limit(request.query_value("limit").empty() ? "0" : request.query_value("limit"));
  ListOptions options;
  if (const std::string token = request.query_value("continue"); !token.empty()) {
    decode_continue(token, options);
  }
  const KeyRange range = collection_range(ref);
  std::vector<json> items;
  std::string next;
  // Fetch pages until the limit is met by items that match the selectors.
  for (;;) {
    options.limit = limit == 0 ? 0 : limit - static_cast<std::int64_t>(items.size());
    auto page = store_.list(range, options);
    if (!page) {
      throw page.error().code == StoreErrc::compacted
          ? gone("The provided continue parameter is too old to display a consistent list "
                 "result. You can start a new list without the continue parameter.")
          : from_store(page.error(), ref.resource->name, "");
    }
    options.revision = page->revision;
    for (const KeyValue &kv : page->items) {
      json object = decode_object(kv);
      if (labels.matches(labels_of(object)) && matches_fields(object, fields)) {
        items.push_back(std::move(object));
      }
    }
    if (page->continue_key.empty()) {
      break;
    }
    options.continue_key = page->continue_key;
    if (limit != 0 && static_cast<std::int64_t>(items.size()) >= limit) {
      next = encode_continue(page->revision, page->continue_key);
      break;
    }
  }
  const std::string revision = std::to_string(options.revision);
  if (wants_table(request)) {
    json table = to_table(*ref.resource, items, revision);
    if (!next.empty()) {
      table["metadata"]["continue"] = next;
    }
    return json_response(table);
  }
  json list{{"kind", ref.resource->kind + "List"},
            {"apiVersion", "v1"},
            {"metadata", {{"resourceVersion", revision}}},
            {"items", items}};
  if (!next.empty()) {
    list["metadata"]["continue"] = next;
  }
  return json_response(list);
}

} // namespace berth::cluster::api
