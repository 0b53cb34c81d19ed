// libnftables, one batch at a time. Every run() is one netlink transaction:
// all of its commands apply or none do, which is what makes the drivers'
// "flush, then add again" repairs safe while packets flow.
#pragma once

#include <berth/sdk/result.hpp>

#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

struct nft_ctx;

namespace berth::network {

class Nft {
public:
  // The context keeps its netlink socket in the network namespace of the
  // thread that first runs a command; run them where the rules belong.
  Nft();
  Nft(const Nft &) = delete;
  Nft &operator=(const Nft &) = delete;
  Nft(Nft &&) = delete;
  Nft &operator=(Nft &&) = delete;
  ~Nft();

  // Runs commands (nft syntax, one per line) atomically. A failure is the
  // first line of nft's error text, with context.
  sdk::Result<void> run(const std::string &commands, const std::string &context);
  // Runs one listing command ("list map ip berth ports_any") and returns
  // nft's JSON document. Errc::not_found when the object does not exist.
  sdk::Result<nlohmann::json> list(const std::string &command, const std::string &context);

private:
  // Loads libnftables and makes the context on first use.
  sdk::Result<void> ensure_context(const std::string &context);
  sdk::Result<std::string> execute(const std::string &commands, const std::string &context);

  // One context per driver; libnftables contexts are not thread-safe.
  std::mutex mutex_;
  nft_ctx *ctx_ = nullptr;
};

} // namespace berth::network
