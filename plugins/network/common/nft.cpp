#include "common/nft.hpp"

#include <nftables/libnftables.h>

#include <sstream>

namespace berth::network {
namespace {

sdk::Errc classify(const std::string &text) {
  const auto has = [&](const char *part) { return text.find(part) != std::string::npos; };
  if (has("No such file or directory")) {
    return sdk::Errc::not_found;
  }
  if (has("File exists")) {
    return sdk::Errc::already_exists;
  }
  if (has("Operation not permitted") || has("Permission denied")) {
    return sdk::Errc::permission;
  }
  if (has("Device or resource busy")) {
    return sdk::Errc::busy;
  }
  return sdk::Errc::io;
}

// nft reports "<input>:L:C-C: Error: what" followed by the offending
// command and a caret line. Keep "what" and the command, on one line.
std::string one_line(const std::string &text) {
  std::istringstream in(text);
  std::string line, what, command;
  while (std::getline(in, line)) {
    const auto at = line.find("Error: ");
    if (at != std::string::npos && what.empty()) {
      what = line.substr(at + 7);
      std::getline(in, command);
    }
  }
  if (what.empty()) {
    what = text.substr(0, text.find('\n'));
  }
  return command.empty() ? what : what + " in '" + command + "'";
}

} // namespace

// The context is made on first use: nft_ctx_new reads iproute2's tables
// and opens its socket (~7 ms here), which attaching an endpoint without
// published ports, and every detach, never need.
Nft::Nft() = default;

Nft::~Nft() {
  if (ctx_ != nullptr) {
    nft_ctx_free(ctx_);
  }
}

bool Nft::ensure_context() {
  if (ctx_ == nullptr && (ctx_ = nft_ctx_new(NFT_CTX_DEFAULT)) != nullptr) {
    nft_ctx_buffer_output(ctx_);
    nft_ctx_buffer_error(ctx_);
  }
  return ctx_ != nullptr;
}

sdk::Result<std::string> Nft::execute(const std::string &commands, const std::string &context) {
  if (!ensure_context()) {
    return sdk::make_error(sdk::Errc::internal, "nft_ctx_new failed (out of memory?)", context);
  }
  if (nft_run_cmd_from_buffer(ctx_, commands.c_str()) != 0) {
    const std::string text = nft_ctx_get_error_buffer(ctx_);
    return sdk::make_error(classify(text), "nftables: " + one_line(text), context);
  }
  // Reading the buffers also resets them for the next run.
  nft_ctx_get_error_buffer(ctx_);
  return std::string(nft_ctx_get_output_buffer(ctx_));
}

sdk::Result<void> Nft::run(const std::string &commands, const std::string &context) {
  const std::scoped_lock lock(mutex_);
  auto done = execute(commands, context);
  if (!done.ok()) {
    return std::move(done).error();
  }
  return {};
}

sdk::Result<nlohmann::json> Nft::list(const std::string &command, const std::string &context) {
  const std::scoped_lock lock(mutex_);
  if (!ensure_context()) {
    return sdk::make_error(sdk::Errc::internal, "nft_ctx_new failed (out of memory?)", context);
  }
  const auto flags = nft_ctx_output_get_flags(ctx_);
  nft_ctx_output_set_flags(ctx_, flags | NFT_CTX_OUTPUT_JSON);
  auto text = execute(command, context);
  nft_ctx_output_set_flags(ctx_, flags);
  if (!text.ok()) {
    return std::move(text).error();
  }
  auto document = nlohmann::json::parse(*text, nullptr, false);
  if (document.is_discarded()) {
    return sdk::make_error(sdk::Errc::internal, "nftables printed JSON that does not parse",
                           context);
  }
  return document;
}

} // namespace berth::network
