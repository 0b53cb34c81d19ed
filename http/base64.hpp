// Base64 (RFC 4648, padded), which both APIs put in their bodies and
// headers: Kubernetes Secrets and kubeconfigs, Docker's path-stat header.
#pragma once

#include <string>
#include <string_view>

namespace berth::http {

std::string base64_encode(std::string_view data);

} // namespace berth::http
