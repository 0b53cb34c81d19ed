// Images: list and inspect.
#include "docker/api_context.hpp"
#include "docker/list_filters.hpp"

namespace berth::berthd {
namespace {

using nlohmann::json;

template <class Body> http::Response with_images(ApiContext &context, Body body) {
  return with_service(context, &Engine::images,
                      [&](ImageService &images, EnginePool::Lease &) { return body(images); });
}

json list_entry(ImageService &images, const ImageRecord &image) {
  auto inspected = images.inspect(image.id);
  const auto labels =
      inspected.ok() ? inspected->value("/Config/Labels"_json_pointer, json()) : json();
  return {{"Id", image.id},
          {"ParentId", ""},
          {"RepoTags", image.tags},
          {"RepoDigests", json::array()},
          {"Created", rfc3339_seconds(image.created)},
          {"Size", image.size},
          {"VirtualSize", image.size},
          {"SharedSize", -1},
          {"Labels", labels.is_object() ? labels : json::object()},
          {"Containers", -1}};
}

http::Response list(ApiContext &context, http::Request &request) {
  auto filters = ListFilters::parse(request.query_value("filters"));
  if (!filters.ok()) {
    return docker_error(filters.error());
  }
  return with_images(context, [&](ImageService &images) {
    auto listed = images.list();
    if (!listed.ok()) {
      return docker_error(listed.error());
    }
    auto entries = json::array();
    for (const auto &image : *listed) {
      auto entry = list_entry(images, image);
      std::map<std::string, std::string> labels;
      for (const auto &[key, value] : entry["Labels"].items()) {
        labels[key] = value.is_string() ? value.get<std::string>() : value.dump();
      }
      if (filters->match_labels(labels)) {
        entries.push_back(std::move(entry));
      }
    }
    return json_response(entries);
  });
}

http::Response inspect(ApiContext &context, http::Request &request) {
  return with_images(context, [&](ImageService &images) {
    const auto name = request.param("name");
    auto inspected = images.inspect(name);
    if (!inspected.ok()) {
      return inspected.error().code == sdk::Errc::not_found
                 ? docker_error(404, "No such image: " + name)
                 : docker_error(inspected.error());
    }
    return json_response(*inspected);
  });
}

} // namespace

void add_image_routes(http::Router &router, ApiContext &context) {
  router.add("GET", "/images/json",
             [&context](http::Request &request) { return list(context, request); });
  router.add("GET", "/images/{name}/json",
             [&context](http::Request &request) { return inspect(context, request); });
}

} // namespace berth::berthd
