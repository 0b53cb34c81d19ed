#include "cluster/api/api_server.hpp"

#include "cluster/api/discovery.hpp"
#include "cluster/api/rest.hpp"
#include "cluster/store/etcd/etcd_store.hpp"
#include "cluster/store/sqlite/sqlite_store.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

#include <unistd.h>

#include <stdexcept>

namespace berth::cluster::api {
namespace {

using http::Request;
using http::Response;

std::vector<std::string> split_commas(const std::string &text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    if (comma > start) {
      parts.push_back(text.substr(start, comma - start));
    }
    start = comma + 1;
  }
  return parts;
}

const ResourceInfo &resource_or_throw(const Request &request, bool namespaced_path) {
  const ResourceInfo *resource = find_resource(request.param("resource"));
  if (resource == nullptr || (namespaced_path && !resource->namespaced)) {
    throw ApiError{404, "NotFound", "the server could not find the requested resource", {}, {}, {}};
  }
  return *resource;
}

Response unauthorized() {
  return ApiError{401, "Unauthorized", "Unauthorized", {}, {}, {}}.to_response();
}

// Paths Kubernetes' default RBAC lets anyone read (system:public-info-viewer):
// Google's kubectl dispatcher asks /version before it has picked a kubectl.
bool is_public(const std::string &path) {
  return path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz";
}

std::string host_for_url(const std::string &listen_host) {
  if (listen_host == "0.0.0.0" || listen_host == "::" || listen_host.empty()) {
    return "127.0.0.1";
  }
  return listen_host.find(':') != std::string::npos ? "[" + listen_host + "]" : listen_host;
}

std::vector<std::string> certificate_hosts(const std::string &listen_host) {
  std::vector<std::string> hosts{listen_host};
  // Listening everywhere: the machine's name should work too.
  char name[256] = {};
  if ((listen_host == "0.0.0.0" || listen_host == "::") &&
      ::gethostname(name, sizeof(name) - 1) == 0) {
    hosts.emplace_back(name);
  }
  return hosts;
}

} // namespace

std::unique_ptr<StateStore> open_store(const std::string &spec,
                                       const std::filesystem::path &data_dir) {
  if (spec == "sqlite") {
    auto store = SqliteStore::open(data_dir / "state.db");
    if (!store) {
      throw std::runtime_error("cannot open the state store: " + store.error().describe());
    }
    return std::move(store).value();
  }
  if (spec.rfind("etcd=", 0) == 0) {
    EtcdStoreOptions options;
    options.endpoints = split_commas(spec.substr(5));
    if (options.endpoints.empty()) {
      throw std::runtime_error("--store etcd=: no URL given; write etcd=http://HOST:PORT");
    }
    auto store = EtcdStore::open(options);
    if (!store) {
      // The store's message already names each endpoint and what to check.
      throw std::runtime_error("--store " + spec + ": " + store.error().message);
    }
    return std::move(store).value();
  }
  throw std::runtime_error("--store '" + spec +
                           "': expected 'sqlite' or 'etcd=URL[,URL...]' (for example "
                           "etcd=http://127.0.0.1:2379)");
}

// The URL layout of the core group: cluster-scoped kinds at
// /api/v1/<resource>[/<name>], namespaced ones under
// /api/v1/namespaces/<namespace>/<resource>[/<name>], and lists across
// namespaces at /api/v1/<resource>.
struct ApiServer::Routes {
  http::Router router;

  Routes(RestHandlers &rest, const std::string &berth_version, const std::string &address) {
    router.add("GET", "/version",
               [berth_version](Request &) { return version_document(berth_version); });
    for (const char *health : {"/healthz", "/livez", "/readyz"}) {
      router.add("GET", health, [](Request &) {
        Response ok;
        ok.content_type = "text/plain";
        ok.body = "ok";
        return ok;
      });
    }
    router.add("GET", "/api", [address](Request &) { return api_versions(address); });
    router.add("GET", "/api/v1", [](Request &) { return core_v1_resources(); });
    router.add("GET", "/apis", [](Request &) { return api_group_list(); });
    router.add("GET", "/openapi/v2", [](Request &) { return openapi_v2(); });
    add_collection("/api/v1/namespaces/{namespace}/{resource}", true, rest);
    add_object("/api/v1/namespaces/{namespace}/{resource}/{name}", true, rest);
    add_collection("/api/v1/{resource}", false, rest);
    add_object("/api/v1/{resource}/{name}", false, rest);
  }

  static ObjectRef ref_of(const Request &request, bool namespaced_path) {
    return ObjectRef{&resource_or_throw(request, namespaced_path), request.param("namespace"),
                     request.param("name")};
  }

  void add_collection(const std::string &pattern, bool namespaced_path, RestHandlers &rest) {
    router.add("GET", pattern, [&rest, namespaced_path](Request &request) {
      return rest.list(ref_of(request, namespaced_path), request);
    });
    router.add("POST", pattern, [&rest, namespaced_path](Request &request) {
      const ObjectRef ref = ref_of(request, namespaced_path);
      if (ref.resource->namespaced && !namespaced_path) {
        throw ApiError{405,
                       "MethodNotAllowed",
                       "create " + ref.resource->name + " under /api/v1/namespaces/NAMESPACE/",
                       {},
                       {},
                       {}};
      }
      return rest.create(ref, request);
    });
  }

  void add_object(const std::string &pattern, bool namespaced_path, RestHandlers &rest) {
    const auto ref_checked = [namespaced_path](const Request &request) {
      ObjectRef ref = ref_of(request, namespaced_path);
      if (ref.resource->namespaced != namespaced_path) {
        throw ApiError{404, "NotFound", "the server could not find the requested resource",
                       {},  {},         {}};
      }
      return ref;
    };
    router.add("GET", pattern, [&rest, ref_checked](Request &request) {
      return rest.get(ref_checked(request), request);
    });
    router.add("PUT", pattern, [&rest, ref_checked](Request &request) {
      return rest.update(ref_checked(request), request);
    });
    router.add("PATCH", pattern, [&rest, ref_checked](Request &request) {
      return rest.patch(ref_checked(request), request);
    });
    router.add("DELETE", pattern, [&rest, ref_checked](Request &request) {
      return rest.remove(ref_checked(request), request);
    });
  }
};

ApiServer::ApiServer(ApiServerOptions options) : options_(std::move(options)) {
  credentials_ = ensure_credentials(options_.data_dir, certificate_hosts(options_.listen_host));
  store_ = open_store(options_.store, options_.data_dir);
  rest_ = std::make_unique<RestHandlers>(*store_);
  for (const char *name : {"default", "kube-system", "kube-public"}) {
    rest_->ensure_namespace(name);
  }
  const std::string host = host_for_url(options_.listen_host);
  routes_ = std::make_unique<Routes>(*rest_, options_.berth_version,
                                     host + ":" + std::to_string(options_.listen_port));
  http_ = std::make_unique<http::Server>([this](Request &request) {
    const std::string bearer = "Bearer ";
    const std::string authorization = request.header("authorization");
    const bool authorized = authorization.rfind(bearer, 0) == 0 &&
                            tokens_equal(std::string_view(authorization).substr(bearer.size()),
                                         credentials_.admin_token);
    if (!authorized && !is_public(request.path)) {
      return unauthorized();
    }
    try {
      Response response = routes_->router.route(request);
      // Clients parse every error body as a Status, the router's own too.
      if (response.status == 404 && response.content_type == "text/plain") {
        return ApiError{404, "NotFound", "the server could not find the requested resource",
                        {},  {},         {}}
            .to_response();
      }
      return response;
    } catch (const ApiError &error) {
      return error.to_response();
    }
  });
  const http::TlsFiles tls{credentials_.server_certificate, credentials_.server_key};
  const auto url = [&](int port) { return "https://" + host + ":" + std::to_string(port); };
  // Written before the port answers, so that whoever waits for the port to
  // use the kubeconfig finds it (an ephemeral port is known only after).
  if (options_.listen_port != 0) {
    kubeconfig_ = write_kubeconfig(options_.data_dir, credentials_, url(options_.listen_port));
  }
  try {
    port_ = http_->listen_tcp(options_.listen_host, options_.listen_port, &tls);
  } catch (const std::runtime_error &error) {
    throw std::runtime_error(std::string(error.what()) +
                             " (another server running? choose another address to listen on)");
  }
  if (options_.listen_port == 0) {
    kubeconfig_ = write_kubeconfig(options_.data_dir, credentials_, url(port_));
  }
}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::stop() {
  if (http_) {
    http_->stop();
  }
}

} // namespace berth::cluster::api
