// ?watch=true: a chunked stream of {"type":..., "object":...} lines fed by
// the state store's watch of the collection's key range.
#include "cluster/api/label_selector.hpp"
#include "cluster/api/object_meta.hpp"
#include "cluster/api/rest.hpp"

#include <memory>

namespace berth::cluster::api {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Kubernetes ends a watch after a random 30-60 minutes unless the client
// asks for less, so clients are used to re-watching; berth takes the low end.
constexpr std::chrono::seconds kDefaultWatchTimeout{1800};
// How often a streaming thread looks up from the store to notice the server
// stopping or the deadline passing.
constexpr std::chrono::milliseconds kPollSlice{500};

struct WatchFilter {
  LabelSelector labels;
  std::string fields;

  [[nodiscard]] bool matches(const json &object) const {
    return !object.is_null() && labels.matches(labels_of(object)) && matches_fields(object, fields);
  }
};

struct WatchStream {
  const ResourceInfo *resource = nullptr;
  WatchFilter filter;
  bool table = false;
  bool bookmarks = false;
  Clock::time_point deadline;
  std::vector<json> initial; // ADDED before the changes, for resourceVersion "" or "0"
  std::unique_ptr<Watch> watch;

  [[nodiscard]] std::string event(const char *type, const json &object) const {
    const json payload = table
                             ? to_table(*resource, {object},
                                        object["metadata"].value("resourceVersion", std::string()))
                             : object;
    return json{{"type", type}, {"object", payload}}.dump() + "\n";
  }

  // One store event as what a watcher of the filtered collection sees: an
  // object leaving the selection is DELETED for it, one entering is ADDED.
  [[nodiscard]] std::string translate(const WatchEvent &change) const {
    const json previous = change.previous ? decode_object(*change.previous) : json();
    if (change.type == EventType::remove) {
      if (!filter.matches(previous)) {
        return {};
      }
      json gone_object = previous;
      gone_object["metadata"]["resourceVersion"] = std::to_string(change.kv.mod_revision);
      return event("DELETED", gone_object);
    }
    const json current = decode_object(change.kv);
    const bool now_in = filter.matches(current);
    const bool was_in = filter.matches(previous);
    if (now_in) {
      return event(was_in ? "MODIFIED" : "ADDED", current);
    }
    return was_in ? event("DELETED", current) : std::string();
  }

  void run(http::ChunkWriter &out) const {
    for (const json &object : initial) {
      if (!out.write(event("ADDED", object))) {
        return;
      }
    }
    while (!out.stopping()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return;
      }
      auto batch = watch->next(std::min(left, kPollSlice));
      if (!batch) {
        const ApiError error = batch.error().code == StoreErrc::compacted
                                   ? gone("too old resource version: " + batch.error().describe())
                                   : from_store(batch.error(), resource->name, "");
        out.write(json{{"type", "ERROR"}, {"object", error.to_json()}}.dump() + "\n");
        return;
      }
      if (!write_batch(*batch, out)) {
        return;
      }
    }
  }

  bool write_batch(const WatchBatch &batch, http::ChunkWriter &out) const {
    if (batch.revision == 0) {
      return true; // the slice passed quietly
    }
    if (batch.is_progress()) {
      if (!bookmarks) {
        return true;
      }
      const json bookmark{{"kind", resource->kind},
                          {"apiVersion", "v1"},
                          {"metadata", {{"resourceVersion", std::to_string(batch.revision)}}}};
      return out.write(json{{"type", "BOOKMARK"}, {"object", bookmark}}.dump() + "\n");
    }
    for (const WatchEvent &change : batch.events) {
      const std::string line = translate(change);
      if (!line.empty() && !out.write(line)) {
        return false;
      }
    }
    return true;
  }
};

std::chrono::seconds watch_timeout(const http::Request &request) {
  const std::string text = request.query_value("timeoutSeconds");
  if (text.empty()) {
    return kDefaultWatchTimeout;
  }
  try {
    return std::chrono::seconds(std::max(0LL, std::stoll(text)));
  } catch (const std::exception &) {
    throw bad_request("invalid timeoutSeconds '" + text + "'");
  }
}

Revision parse_revision(const std::string &text) {
  try {
    return std::stoll(text);
  } catch (const std::exception &) {
    throw bad_request("invalid resourceVersion '" + text + "'");
  }
}

} // namespace

http::Response RestHandlers::watch(const ObjectRef &ref, const http::Request &request) {
  auto stream = std::make_shared<WatchStream>();
  stream->resource = ref.resource;
  std::string error;
  auto labels = LabelSelector::parse(request.query_value("labelSelector"), error);
  if (!labels) {
    throw bad_request("unable to parse requirement: " + error);
  }
  stream->filter = WatchFilter{*labels, request.query_value("fieldSelector")};
  stream->table = wants_table(request);
  stream->bookmarks = request.query_value("allowWatchBookmarks") == "true";
  stream->deadline = Clock::now() + watch_timeout(request);

  // No resourceVersion (or "0"): the current state first, as ADDED events,
  // then the changes after it.
  Revision from = 0;
  const std::string version = request.query_value("resourceVersion");
  if (version.empty() || version == "0") {
    auto current = store_.list(collection_range(ref));
    if (!current) {
      throw from_store(current.error(), ref.resource->name, "");
    }
    for (const KeyValue &kv : current->items) {
      json object = decode_object(kv);
      if (stream->filter.matches(object)) {
        stream->initial.push_back(std::move(object));
      }
    }
    from = current->revision + 1;
  } else {
    from = parse_revision(version) + 1;
  }
  WatchOptions options;
  options.from_revision = from;
  options.progress_interval =
      stream->bookmarks ? std::chrono::seconds(5) : std::chrono::milliseconds(0);
  auto watch = store_.watch(collection_range(ref), options);
  if (!watch) {
    throw watch.error().code == StoreErrc::compacted
        ? gone("too old resource version: " + version + " (" + watch.error().describe() + ")")
        : from_store(watch.error(), ref.resource->name, "");
  }
  stream->watch = std::move(watch).value();
  http::Response response;
  response.content_type = "application/json";
  response.stream = [stream](http::ChunkWriter &out) { stream->run(out); };
  return response;
}

} // namespace berth::cluster::api
