#include "common/nft.hpp"

#include <nftables/libnftables.h>

#include <dlfcn.h>
#include <sstream>

namespace berth::network {
namespace {

// libnftables, and the five libraries it needs, are loaded on the first
// nftables command rather than with the plugin: attaching an endpoint
// without published ports, and every detach, never run one, and mapping
// them cost each bridge container start about 2.5 ms in each of the two
// processes that load the driver (the command and its monitor).
struct NftApi {
  decltype(&nft_ctx_new) ctx_new = nullptr;
  decltype(&nft_ctx_free) ctx_free = nullptr;
  decltype(&nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&nft_ctx_get_output_buffer) output_buffer = nullptr;
  decltype(&nft_ctx_get_error_buffer) error_buffer = nullptr;
  decltype(&nft_ctx_output_get_flags) get_flags = nullptr;
  decltype(&nft_ctx_output_set_flags) set_flags = nullptr;
  decltype(&nft_run_cmd_from_buffer) run_buffer = nullptr;
  std::string error; // why it could not be loaded; empty when it was
};

constexpr const char *kLibrary = "libnftables.so.1";

template <class Function> void bind(void *library, const char *name, Function &slot, bool &ok) {
  slot = reinterpret_cast<Function>(::dlsym(library, name));
  ok = ok && slot != nullptr;
}

NftApi load_api() {
  NftApi api;
  void *library = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char *detail = ::dlerror();
    api.error = std::string("cannot load ") + kLibrary + ": " + (detail != nullptr ? detail : "?") +
                " (install Debian's libnftables1)";
    return api;
  }
  bool ok = true;
  bind(library, "nft_ctx_new", api.ctx_new, ok);
  bind(library, "nft_ctx_free", api.ctx_free, ok);
  bind(library, "nft_ctx_buffer_output", api.buffer_output, ok);
  bind(library, "nft_ctx_buffer_error", api.buffer_error, ok);
  bind(library, "nft_ctx_get_output_buffer", api.output_buffer, ok);
  bind(library, "nft_ctx_get_error_buffer", api.error_buffer, ok);
  bind(library, "nft_ctx_output_get_flags", api.get_flags, ok);
  bind(library, "nft_ctx_output_set_flags", api.set_flags, ok);
  bind(library, "nft_run_cmd_from_buffer", api.run_buffer, ok);
  if (!ok) {
    api.error = std::string(kLibrary) + " lacks a function berth needs (too old?)";
  }
  // Never closed: contexts may outlive any one driver object.
  return api;
}

const NftApi &nft_api() {
  static const NftApi api = load_api();
  return api;
}

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
    nft_api().ctx_free(ctx_);
  }
}

sdk::Result<void> Nft::ensure_context(const std::string &context) {
  if (ctx_ != nullptr) {
    return {};
  }
  const auto &api = nft_api();
  if (!api.error.empty()) {
    return sdk::make_error(sdk::Errc::unavailable, api.error, context);
  }
  if ((ctx_ = api.ctx_new(NFT_CTX_DEFAULT)) == nullptr) {
    return sdk::make_error(sdk::Errc::internal, "nft_ctx_new failed (out of memory?)", context);
  }
  api.buffer_output(ctx_);
  api.buffer_error(ctx_);
  return {};
}

sdk::Result<std::string> Nft::execute(const std::string &commands, const std::string &context) {
  if (auto made = ensure_context(context); !made.ok()) {
    return std::move(made).error();
  }
  const auto &api = nft_api();
  if (api.run_buffer(ctx_, commands.c_str()) != 0) {
    const std::string text = api.error_buffer(ctx_);
    return sdk::make_error(classify(text), "nftables: " + one_line(text), context);
  }
  // Reading the buffers also resets them for the next run.
  api.error_buffer(ctx_);
  return std::string(api.output_buffer(ctx_));
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
  if (auto made = ensure_context(context); !made.ok()) {
    return std::move(made).error();
  }
  const auto &api = nft_api();
  const auto flags = api.get_flags(ctx_);
  api.set_flags(ctx_, flags | NFT_CTX_OUTPUT_JSON);
  auto text = execute(command, context);
  api.set_flags(ctx_, flags);
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
