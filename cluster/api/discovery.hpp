// What clients read before anything else: /version, the legacy discovery
// documents (/api, /api/v1, /apis) and /openapi/v2.
#pragma once

#include "http/message.hpp"

#include <string>

namespace berth::cluster::api {

// The Kubernetes API level berth follows. Its minor also decides which
// kubectl Google's dispatcher (/usr/bin/kubectl on many machines) runs: it
// reads /version and runs its bundled kubectl of that minor.
inline constexpr const char *kKubernetesMajor = "1";
inline constexpr const char *kKubernetesMinor = "32";

http::Response version_document(const std::string &berth_version);
http::Response api_versions(const std::string &server_address);
http::Response api_group_list();
http::Response core_v1_resources();
// 200 with an empty protobuf document: kubectl's default client-side
// validation (1.20 and 1.32) then proceeds without schema checks, where a
// 404 would make `kubectl apply` fail (ORCHESTRATOR.md section 8).
http::Response openapi_v2();

} // namespace berth::cluster::api
