#include "cluster/store/etcd/etcd_store.hpp"

#include "cluster/store/etcd/etcd_client.hpp"
#include "cluster/store/etcd/etcd_json.hpp"

namespace berth::cluster {

using nlohmann::json;
using namespace etcd;

namespace {

std::string number(std::int64_t value) {
  return std::to_string(value); // the gateway takes int64 as strings
}

// A txn compare on one key: target CREATE or MOD, result EQUAL or GREATER.
json compare(std::string_view key, const char *target, const char *result, Revision revision) {
  const char *field = std::string_view(target) == "CREATE" ? "create_revision" : "mod_revision";
  return json{{"key", base64_encode(key)},
              {"target", target},
              {"result", result},
              {field, number(revision)}};
}

json put_request(std::string_view key, std::string_view value, LeaseId lease) {
  json put{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0) {
    put["lease"] = number(lease);
  }
  return json{{"request_put", put}};
}

json range_request(std::string_view key) {
  return json{{"request_range", {{"key", base64_encode(key)}}}};
}

// The key as the failure branch of a txn read it, if it exists.
std::optional<KeyValue> failure_value(const json &reply) {
  const auto &responses = reply.value("responses", json::array());
  if (responses.empty()) {
    return std::nullopt;
  }
  const auto &kvs =
      responses[0].value("response_range", json::object()).value("kvs", json::array());
  if (kvs.empty()) {
    return std::nullopt;
  }
  return key_value(kvs[0]);
}

StoreError missing_key(std::string_view key) {
  return store_error(StoreErrc::not_found, "no such key", std::string(key));
}

StoreError stale(std::string_view key, const KeyValue &current, Revision expected) {
  return store_error(StoreErrc::conflict,
                     "key is at mod revision " + std::to_string(current.mod_revision) + ", not " +
                         std::to_string(expected) + "; read it again and retry",
                     std::string(key));
}

} // namespace

StoreResult<std::unique_ptr<EtcdStore>> EtcdStore::open(const EtcdStoreOptions &options) {
  auto endpoints = parse_endpoints(options.endpoints);
  if (!endpoints) {
    return std::move(endpoints).error();
  }
  auto client = make_client(std::move(endpoints).value(), options.request_timeout,
                            TlsFiles{options.ca_file, options.cert_file, options.key_file});
  if (!client) {
    return std::move(client).error();
  }
  std::unique_ptr<EtcdStore> store(new EtcdStore(std::move(client).value(), options));
  if (auto reachable = store->current_revision(); !reachable) {
    return std::move(reachable).error();
  }
  return store;
}

EtcdStore::EtcdStore(std::shared_ptr<Client> client, EtcdStoreOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

EtcdStore::~EtcdStore() = default;

StoreResult<KeyValue> EtcdStore::get(std::string_view key, Revision revision) {
  json request{{"key", base64_encode(key)}};
  if (revision != 0) {
    request["revision"] = number(revision);
  }
  auto reply = client_->call("/v3/kv/range", request);
  if (!reply) {
    return std::move(reply).error();
  }
  const auto &kvs = reply->value("kvs", json::array());
  if (kvs.empty()) {
    return missing_key(key);
  }
  return key_value(kvs[0]);
}

StoreResult<ListResult> EtcdStore::list(const KeyRange &range, const ListOptions &options) {
  if (!options.continue_key.empty() && !range.contains(options.continue_key)) {
    return store_error(StoreErrc::invalid_argument,
                       "the continue key is outside the listed range; start the list again",
                       range.start);
  }
  json request;
  set_range(request,
            KeyRange{options.continue_key.empty() ? range.start : options.continue_key, range.end});
  if (options.limit > 0) {
    request["limit"] = number(options.limit);
  }
  if (options.revision != 0) {
    request["revision"] = number(options.revision);
  }
  auto reply = client_->call("/v3/kv/range", request);
  if (!reply) {
    return std::move(reply).error();
  }
  ListResult result;
  // etcd's header carries its current revision, not the one read at.
  result.revision = options.revision != 0 ? options.revision : header_revision(*reply);
  for (const auto &kv : reply->value("kvs", json::array())) {
    result.items.push_back(key_value(kv));
  }
  if (reply->value("more", false) && !result.items.empty()) {
    result.continue_key = result.items.back().key + '\0';
  }
  return result;
}

StoreResult<std::int64_t> EtcdStore::count(const KeyRange &range) {
  json request{{"count_only", true}};
  set_range(request, range);
  auto reply = client_->call("/v3/kv/range", request);
  if (!reply) {
    return std::move(reply).error();
  }
  return int_field(*reply, "count");
}

StoreResult<Revision> EtcdStore::create(std::string_view key, std::string_view value,
                                        LeaseId lease) {
  if (key.empty()) {
    return store_error(StoreErrc::invalid_argument, "a key may not be empty");
  }
  const json txn{{"compare", {compare(key, "CREATE", "EQUAL", 0)}},
                 {"success", {put_request(key, value, lease)}},
                 {"failure", {range_request(key)}}};
  auto reply = client_->call("/v3/kv/txn", txn);
  if (!reply) {
    return std::move(reply).error();
  }
  if (!reply->value("succeeded", false)) {
    const auto existing = failure_value(*reply);
    return store_error(StoreErrc::already_exists,
                       "key exists (mod revision " +
                           std::to_string(existing ? existing->mod_revision : 0) +
                           "); update it instead",
                       std::string(key));
  }
  return header_revision(*reply);
}

StoreResult<Revision> EtcdStore::update(std::string_view key, std::string_view value,
                                        Revision expected, LeaseId lease) {
  // CREATE > 0 too: an absent key has mod revision 0, which must not match.
  const json txn{
      {"compare", {compare(key, "CREATE", "GREATER", 0), compare(key, "MOD", "EQUAL", expected)}},
      {"success", {put_request(key, value, lease)}},
      {"failure", {range_request(key)}}};
  auto reply = client_->call("/v3/kv/txn", txn);
  if (!reply) {
    return std::move(reply).error();
  }
  if (!reply->value("succeeded", false)) {
    const auto current = failure_value(*reply);
    return current ? stale(key, *current, expected) : missing_key(key);
  }
  return header_revision(*reply);
}

StoreResult<DeleteResult> EtcdStore::remove(std::string_view key, Revision expected) {
  json compares = json::array({compare(key, "CREATE", "GREATER", 0)});
  if (expected != 0) {
    compares.push_back(compare(key, "MOD", "EQUAL", expected));
  }
  const json txn{
      {"compare", compares},
      {"success", {{{"request_delete_range", {{"key", base64_encode(key)}, {"prev_kv", true}}}}}},
      {"failure", {range_request(key)}}};
  auto reply = client_->call("/v3/kv/txn", txn);
  if (!reply) {
    return std::move(reply).error();
  }
  if (!reply->value("succeeded", false)) {
    const auto current = failure_value(*reply);
    return current ? stale(key, *current, expected) : missing_key(key);
  }
  const auto &responses = reply->value("responses", json::array());
  const auto prev = responses.empty() ? json::array()
                                      : responses[0]
                                            .value("response_delete_range", json::object())
                                            .value("prev_kvs", json::array());
  return DeleteResult{header_revision(*reply),
                      prev.empty() ? KeyValue{std::string(key), {}, 0, 0, 0} : key_value(prev[0])};
}

StoreResult<std::unique_ptr<Watch>> EtcdStore::watch(const KeyRange &range,
                                                     const WatchOptions &options) {
  Revision from = options.from_revision;
  if (from == 0) {
    // Fixing the start here, not when the stream opens, means a write that
    // returns after watch() does is always seen.
    auto now = current_revision();
    if (!now) {
      return std::move(now).error();
    }
    from = *now + 1;
  } else {
    // Report compaction now rather than through the first next().
    json probe{{"key", base64_encode(range.start.empty() ? std::string(1, '\0') : range.start)},
               {"revision", number(from)},
               {"count_only", true}};
    auto reply = client_->call("/v3/kv/range", probe);
    if (!reply && reply.error().code != StoreErrc::future_revision) {
      return std::move(reply).error();
    }
  }
  return start_etcd_watch(client_, range, from, options.progress_interval,
                          options_.watch_reconnect_limit);
}

StoreResult<Revision> EtcdStore::current_revision() {
  auto reply = client_->call(
      "/v3/kv/range", json{{"key", base64_encode(std::string(1, '\0'))}, {"count_only", true}});
  if (!reply) {
    return std::move(reply).error();
  }
  return header_revision(*reply);
}

StoreResult<Done> EtcdStore::compact(Revision revision) {
  auto reply =
      client_->call("/v3/kv/compaction", json{{"revision", number(revision)}, {"physical", true}});
  if (!reply) {
    return std::move(reply).error();
  }
  return Done{};
}

StoreResult<Lease> EtcdStore::grant_lease(std::int64_t ttl_seconds) {
  if (ttl_seconds <= 0) {
    return store_error(StoreErrc::invalid_argument,
                       "a lease TTL must be at least 1 second, not " + std::to_string(ttl_seconds));
  }
  auto reply = client_->call("/v3/lease/grant", json{{"TTL", number(ttl_seconds)}});
  if (!reply) {
    return std::move(reply).error();
  }
  return Lease{int_field(*reply, "ID"), int_field(*reply, "TTL")};
}

StoreResult<Lease> EtcdStore::keep_alive(LeaseId lease) {
  auto reply = client_->call("/v3/lease/keepalive", json{{"ID", number(lease)}});
  if (!reply) {
    return std::move(reply).error();
  }
  // A stream endpoint: the answer is wrapped in "result"; TTL 0 (left out)
  // means the lease is gone.
  const auto result = reply->value("result", json::object());
  const std::int64_t ttl = int_field(result, "TTL");
  if (ttl <= 0) {
    return store_error(StoreErrc::not_found,
                       "expired or revoked; grant a new lease and attach the keys again",
                       "lease " + std::to_string(lease));
  }
  return Lease{lease, ttl};
}

StoreResult<Done> EtcdStore::revoke_lease(LeaseId lease) {
  auto reply = client_->call("/v3/lease/revoke", json{{"ID", number(lease)}});
  if (!reply) {
    return std::move(reply).error();
  }
  return Done{};
}

} // namespace berth::cluster
