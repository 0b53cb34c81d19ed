// Request bodies in Kubernetes' protobuf encoding, for the kinds berth
// serves. kubectl 1.32's generators (`kubectl create configmap|secret|
// namespace`) send their POSTs as application/vnd.kubernetes.protobuf, with no
// fallback to JSON, so the server must read them. Replies stay JSON, which
// those clients accept.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace berth::cluster::api {

inline constexpr std::string_view kProtobufContentType = "application/vnd.kubernetes.protobuf";

// The object in body (the "k8s\0" envelope around a runtime.Unknown) as the
// JSON the API would have received; nullopt with error set when the body is
// malformed or of a kind berth cannot decode.
std::optional<nlohmann::json> decode_protobuf_object(std::string_view body, std::string &error);

} // namespace berth::cluster::api
