// EtcdStore: the StateStore for clusters, over etcd 3.4's v3 JSON gateway
// (what Debian's etcd-server ships). Revisions, compaction and leases are
// etcd's own; this class maps calls onto /v3/kv/*, /v3/lease/* and the
// streaming /v3/watch, fails over between endpoints, and speaks TLS to
// https endpoints.
//
// Watches survive an etcd restart or a fail-over: the stream is reopened
// from the revision after the last event delivered, so the consumer sees
// neither a gap nor a duplicate. Progress notifications are etcd's (its
// --experimental-watch-progress-notify-interval decides how often); a watch's
// progress_interval only limits how often they are passed on.
//
// All public methods are thread-safe (see StateStore).
#pragma once

#include "cluster/store/state_store.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace berth::cluster {

namespace etcd {
class Client;
}

struct EtcdStoreOptions {
  std::vector<std::string> endpoints; // http(s)://HOST:PORT, tried in order
  // For https: the CA that signed etcd's certificate (empty: the system's
  // trust store), and a client certificate and key if etcd asks for one.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::chrono::milliseconds request_timeout{5000};
  // How long a watch keeps trying to reconnect before it gives up with
  // unavailable (the consumer then lists again).
  std::chrono::milliseconds watch_reconnect_limit{30000};
};

class EtcdStore final : public StateStore {
public:
  // Fails with unavailable if no endpoint answers.
  static StoreResult<std::unique_ptr<EtcdStore>> open(const EtcdStoreOptions &options);
  ~EtcdStore() override;
  EtcdStore(const EtcdStore &) = delete;
  EtcdStore &operator=(const EtcdStore &) = delete;
  EtcdStore(EtcdStore &&) = delete;
  EtcdStore &operator=(EtcdStore &&) = delete;

  StoreResult<KeyValue> get(std::string_view key, Revision revision) override;
  StoreResult<ListResult> list(const KeyRange &range, const ListOptions &options) override;
  StoreResult<std::int64_t> count(const KeyRange &range) override;
  StoreResult<Revision> create(std::string_view key, std::string_view value,
                               LeaseId lease) override;
  StoreResult<Revision> update(std::string_view key, std::string_view value, Revision expected,
                               LeaseId lease) override;
  StoreResult<DeleteResult> remove(std::string_view key, Revision expected) override;
  StoreResult<std::unique_ptr<Watch>> watch(const KeyRange &range,
                                            const WatchOptions &options) override;
  StoreResult<Revision> current_revision() override;
  StoreResult<Done> compact(Revision revision) override;
  StoreResult<Lease> grant_lease(std::int64_t ttl_seconds) override;
  StoreResult<Lease> keep_alive(LeaseId lease) override;
  StoreResult<Done> revoke_lease(LeaseId lease) override;

private:
  EtcdStore(std::shared_ptr<etcd::Client> client, EtcdStoreOptions options);

  std::shared_ptr<etcd::Client> client_;
  EtcdStoreOptions options_;
};

// The watch behind EtcdStore::watch, exposed for the store only.
std::unique_ptr<Watch> start_etcd_watch(std::shared_ptr<etcd::Client> client, KeyRange range,
                                        Revision from, std::chrono::milliseconds progress_interval,
                                        std::chrono::milliseconds reconnect_limit);

} // namespace berth::cluster
