// A watch over etcd's streaming /v3/watch. One thread per watch reads the
// stream into a WatchQueue; when the stream breaks (etcd restarted, an
// endpoint died) it reopens it on any endpoint from the revision after the
// last event it delivered, so the consumer sees each revision exactly once.
#include "cluster/store/etcd/etcd_client.hpp"
#include "cluster/store/etcd/etcd_json.hpp"
#include "cluster/store/etcd/etcd_store.hpp"
#include "cluster/store/watch_queue.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace berth::cluster {

using nlohmann::json;
using namespace etcd;

namespace {

WatchEvent watch_event(const json &event) {
  WatchEvent out;
  out.type = event.value("type", "PUT") == "DELETE" ? EventType::remove : EventType::put;
  out.kv = key_value(event.value("kv", json::object()));
  if (event.contains("prev_kv")) {
    out.previous = key_value(event["prev_kv"]);
    if (out.type == EventType::remove) {
      out.kv.create_revision = out.previous->create_revision;
    }
  }
  return out;
}

class EtcdWatch final : public Watch {
public:
  EtcdWatch(std::shared_ptr<Client> client, KeyRange range, Revision from,
            std::chrono::milliseconds progress_interval, std::chrono::milliseconds reconnect_limit)
      : client_(std::move(client)), range_(std::move(range)), next_(from),
        reconnect_limit_(reconnect_limit),
        queue_(std::make_shared<WatchQueue>(range_, from, progress_interval, nullptr)) {
    thread_ = std::thread([this] { run(); });
  }

  ~EtcdWatch() override {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
      if (stream_ != nullptr) {
        stream_->stop();
      }
    }
    wake_.notify_all();
    thread_.join();
  }
  EtcdWatch(const EtcdWatch &) = delete;
  EtcdWatch &operator=(const EtcdWatch &) = delete;
  EtcdWatch(EtcdWatch &&) = delete;
  EtcdWatch &operator=(EtcdWatch &&) = delete;

  StoreResult<WatchBatch> next(std::chrono::milliseconds timeout) override {
    return queue_->next(timeout);
  }

private:
  enum class Outcome { reconnect, finished };

  [[nodiscard]] json create_request() const {
    json create{
        {"start_revision", std::to_string(next_)}, {"prev_kv", true}, {"progress_notify", true}};
    set_range(create, range_);
    return json{{"create_request", create}};
  }

  void run() {
    auto down_since = std::chrono::steady_clock::now();
    while (!stopped()) {
      auto stream = client_->stream("/v3/watch", create_request());
      if (stream) {
        {
          const std::lock_guard lock(mutex_);
          if (stopping_) {
            return;
          }
          stream_ = stream->get();
        }
        const Outcome outcome = follow(**stream, down_since);
        {
          const std::lock_guard lock(mutex_);
          stream_ = nullptr;
        }
        if (outcome == Outcome::finished) {
          return;
        }
      }
      if (std::chrono::steady_clock::now() - down_since > reconnect_limit_) {
        queue_->fail(store_error(StoreErrc::unavailable,
                                 "lost etcd and could not reconnect within " +
                                     std::to_string(reconnect_limit_.count()) + " ms",
                                 client_->endpoint_list()));
        return;
      }
      // Give a restarting etcd a moment; woken at once if the watch is dropped.
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; });
    }
  }

  bool stopped() {
    const std::lock_guard lock(mutex_);
    return stopping_;
  }

  Outcome follow(MessageStream &stream, std::chrono::steady_clock::time_point &down_since) {
    for (;;) {
      auto message = stream.next();
      if (!message) {
        return message.error().code == StoreErrc::closed ? Outcome::finished : Outcome::reconnect;
      }
      const auto result = message->value("result", json::object());
      if (result.empty()) {
        return Outcome::reconnect; // an error reply: try again, maybe elsewhere
      }
      if (result.value("canceled", false)) {
        return cancelled(result);
      }
      down_since = std::chrono::steady_clock::now();
      if (result.value("created", false)) {
        continue;
      }
      const auto &events = result.value("events", json::array());
      if (events.empty()) {
        queue_->progress(header_revision(result));
        continue;
      }
      for (const auto &event : events) {
        WatchEvent converted = watch_event(event);
        if (converted.kv.mod_revision < next_) {
          continue; // already delivered before a reconnect
        }
        next_ = converted.kv.mod_revision + 1;
        queue_->push(std::move(converted));
      }
    }
  }

  Outcome cancelled(const json &result) {
    const Revision compacted = int_field(result, "compact_revision");
    if (compacted > 0) {
      queue_->fail(store_error(StoreErrc::compacted,
                               "revision " + std::to_string(next_) +
                                   " was compacted (history starts at " +
                                   std::to_string(compacted) + "); list again",
                               range_.start));
    } else {
      queue_->fail(store_error(StoreErrc::unavailable,
                               "etcd cancelled the watch: " + result.value("cancel_reason", ""),
                               range_.start));
    }
    return Outcome::finished;
  }

  const std::shared_ptr<Client> client_;
  const KeyRange range_;
  Revision next_; // the first revision not yet delivered; only the thread touches it
  const std::chrono::milliseconds reconnect_limit_;
  const std::shared_ptr<WatchQueue> queue_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  MessageStream *stream_ = nullptr;
  std::thread thread_;
};

} // namespace

std::unique_ptr<Watch> start_etcd_watch(std::shared_ptr<Client> client, KeyRange range,
                                        Revision from, std::chrono::milliseconds progress_interval,
                                        std::chrono::milliseconds reconnect_limit) {
  return std::make_unique<EtcdWatch>(std::move(client), std::move(range), from, progress_interval,
                                     reconnect_limit);
}

} // namespace berth::cluster
