#include "cluster/store/etcd/etcd_json.hpp"

#include <array>
#include <stdexcept>

namespace berth::cluster::etcd {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  const auto at = kAlphabet.find(c);
  if (at == std::string_view::npos) {
    throw std::invalid_argument(std::string("bad base64 character '") + c + "'");
  }
  return static_cast<int>(at);
}

} // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned triple = static_cast<unsigned char>(bytes[i]) << 16U |
                            static_cast<unsigned char>(bytes[i + 1]) << 8U |
                            static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) {
      out.push_back(kAlphabet[(triple >> static_cast<unsigned>(shift)) & 0x3fU]);
    }
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned triple = static_cast<unsigned char>(bytes[i]) << 16U;
    if (rest == 2) {
      triple |= static_cast<unsigned char>(bytes[i + 1]) << 8U;
    }
    out.push_back(kAlphabet[(triple >> 18U) & 0x3fU]);
    out.push_back(kAlphabet[(triple >> 12U) & 0x3fU]);
    out.push_back(rest == 2 ? kAlphabet[(triple >> 6U) & 0x3fU] : '=');
    out.push_back('=');
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    buffer = buffer << 6U | static_cast<unsigned>(sextet(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xffU));
    }
  }
  return out;
}

std::int64_t int_field(const nlohmann::json &object, const char *name) {
  const auto found = object.find(name);
  if (found == object.end()) {
    return 0;
  }
  if (found->is_string()) {
    return std::stoll(found->get<std::string>());
  }
  return found->get<std::int64_t>();
}

KeyValue key_value(const nlohmann::json &kv) {
  KeyValue out;
  out.key = base64_decode(kv.value("key", ""));
  out.value = base64_decode(kv.value("value", ""));
  out.create_revision = int_field(kv, "create_revision");
  out.mod_revision = int_field(kv, "mod_revision");
  out.lease = int_field(kv, "lease");
  return out;
}

Revision header_revision(const nlohmann::json &reply) {
  const auto header = reply.find("header");
  return header == reply.end() ? 0 : int_field(*header, "revision");
}

void set_range(nlohmann::json &request, const KeyRange &range) {
  static const std::string zero(1, '\0');
  request["key"] = base64_encode(range.start.empty() ? zero : range.start);
  request["range_end"] = base64_encode(range.end.empty() ? zero : range.end);
}

StoreError reply_error(const nlohmann::json &reply, std::string context) {
  const std::string message = reply.value("message", reply.value("error", "unknown error"));
  const auto code = reply.value("code", 2);
  StoreErrc errc = StoreErrc::internal;
  if (message.find("compacted") != std::string::npos) {
    errc = StoreErrc::compacted;
  } else if (message.find("future revision") != std::string::npos) {
    errc = StoreErrc::future_revision;
  } else if (code == 5) { // gRPC NOT_FOUND: a lease
    errc = StoreErrc::not_found;
  } else if (code == 3) { // INVALID_ARGUMENT
    errc = StoreErrc::invalid_argument;
  } else if (code == 14 || code == 4) { // UNAVAILABLE, DEADLINE_EXCEEDED
    errc = StoreErrc::unavailable;
  }
  return store_error(errc, "etcd: " + message, std::move(context));
}

} // namespace berth::cluster::etcd
