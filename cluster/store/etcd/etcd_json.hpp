// The shapes of etcd 3.4's v3 JSON gateway (grpc-gateway over etcdserverpb):
// keys and values are base64, int64 fields are JSON strings, and fields at
// their default (0, false, empty) are left out of replies.
#pragma once

#include "cluster/store/state_store.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace berth::cluster::etcd {

std::string base64_encode(std::string_view bytes);
// Throws std::invalid_argument on malformed input.
std::string base64_decode(std::string_view text);

// An int64 field, given as a string or a number, absent meaning 0.
std::int64_t int_field(const nlohmann::json &object, const char *name);

KeyValue key_value(const nlohmann::json &kv);
// The header.revision of a reply.
Revision header_revision(const nlohmann::json &reply);

// A key and range_end for a KeyRange: an empty end means "every key from
// start", which etcd spells range_end "\0"; an empty start is key "\0".
void set_range(nlohmann::json &request, const KeyRange &range);

// Maps a gateway error reply ({"error", "code", "message"}) to a StoreError.
StoreError reply_error(const nlohmann::json &reply, std::string context);

} // namespace berth::cluster::etcd
