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

// "Untagged: x" and "Deleted: sha256:…" lines as Docker's delete items.
json delete_items(const RemoveResult &removed) {
  auto items = json::array();
  for (const auto &line : removed.lines) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos) {
      items.push_back({{line.substr(0, colon), line.substr(colon + 2)}});
    }
  }
  return items;
}

http::Response remove(ApiContext &context, http::Request &request) {
  return with_images(context, [&](ImageService &images) {
    const auto name = request.param("name");
    auto removed = images.remove({name}, query_flag(request, "force"));
    if (!removed.ok()) {
      return removed.error().code == sdk::Errc::not_found
                 ? docker_error(404, "No such image: " + name)
                 : docker_error(removed.error());
    }
    return json_response(delete_items(*removed));
  });
}

http::Response prune(ApiContext &context, http::Request &request) {
  auto filters = ListFilters::parse(request.query_value("filters"));
  if (!filters.ok()) {
    return docker_error(filters.error());
  }
  const auto &dangling = filters->values("dangling");
  const bool all = !dangling.empty() && (dangling[0] == "false" || dangling[0] == "0");
  return with_images(context, [&](ImageService &images) {
    auto pruned = images.prune(all);
    return pruned.ok() ? json_response({{"ImagesDeleted", delete_items(*pruned)},
                                        {"SpaceReclaimed", pruned->reclaimed}})
                       : docker_error(pruned.error());
  });
}

http::Response tag(ApiContext &context, http::Request &request) {
  const auto repo = request.query_value("repo");
  if (repo.empty()) {
    return docker_error(400, "repo: is required: the name to tag the image with");
  }
  const auto label = request.query_value("tag");
  return with_images(context, [&](ImageService &images) {
    auto tagged =
        images.tag(request.param("name"), repo + ":" + (label.empty() ? "latest" : label));
    return tagged.ok() ? empty_response(201) : docker_error(tagged.error());
  });
}

// berth's history rows as Docker's: times in seconds, tags on the top row.
http::Response history(ApiContext &context, http::Request &request) {
  return with_images(context, [&](ImageService &images) {
    const auto name = request.param("name");
    auto rows = images.history(name);
    auto inspected = images.inspect(name);
    if (!rows.ok() || !inspected.ok()) {
      return docker_error(404, "No such image: " + name);
    }
    for (auto &row : *rows) {
      row["Created"] = rfc3339_seconds(row.value("Created", ""));
      row["Tags"] = nullptr;
    }
    if (!rows->empty()) {
      (*rows)[0]["Tags"] = inspected->value("RepoTags", json::array());
    }
    return json_response(*rows);
  });
}

} // namespace

void add_image_routes(http::Router &router, ApiContext &context) {
  add_routes(router, context,
             {
                 {"GET", "/images/json", list},
                 {"POST", "/images/prune", prune},
                 {"GET", "/images/{name}/json", inspect},
                 {"GET", "/images/{name}/history", history},
                 {"POST", "/images/{name}/tag", tag},
                 {"DELETE", "/images/{name}", remove},
             });
}

} // namespace berth::berthd
