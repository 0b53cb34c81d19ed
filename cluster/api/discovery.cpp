#include "cluster/api/discovery.hpp"

#include "cluster/api/resources.hpp"
#include "cluster/api/status.hpp"

namespace berth::cluster::api {

using nlohmann::json;

http::Response version_document(const std::string &berth_version) {
  // gitVersion is semver: the Kubernetes level with berth's version as build
  // metadata, as k3s does ("v1.32.4+k3s1").
  return json_response({{"major", kKubernetesMajor},
                        {"minor", kKubernetesMinor},
                        {"gitVersion", std::string("v") + kKubernetesMajor + "." +
                                           kKubernetesMinor + ".0+berth." + berth_version},
                        {"gitCommit", ""},
                        {"gitTreeState", "clean"},
                        {"buildDate", ""},
                        {"goVersion", ""},
                        {"compiler", "berth"},
                        {"platform", "linux/amd64"}});
}

http::Response api_versions(const std::string &server_address) {
  return json_response({{"kind", "APIVersions"},
                        {"versions", {"v1"}},
                        {"serverAddressByClientCIDRs",
                         {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}});
}

http::Response api_group_list() {
  return json_response({{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array()}});
}

http::Response core_v1_resources() {
  json resources = json::array();
  for (const ResourceInfo &resource : core_resources()) {
    json entry{{"name", resource.name},
               {"singularName", resource.singular},
               {"namespaced", resource.namespaced},
               {"kind", resource.kind},
               {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}}};
    if (!resource.short_names.empty()) {
      entry["shortNames"] = resource.short_names;
    }
    resources.push_back(entry);
  }
  return json_response({{"kind", "APIResourceList"},
                        {"apiVersion", "v1"},
                        {"groupVersion", "v1"},
                        {"resources", resources}});
}

http::Response openapi_v2() {
  http::Response response;
  // The dotted spelling: echoing the Accept header's `spec.v2@v1.0` makes Go's
  // mime parser fail in kubectl.
  response.content_type = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
  return response;
}

} // namespace berth::cluster::api
