// docker cp: Docker's archive API over a container's files. HEAD and GET
// carry the path's stat in X-Docker-Container-Path-Stat (base64 JSON with
// Go's file mode bits); GET streams the path as a tar; PUT unpacks a tar
// into a directory.
#include "docker/api_context.hpp"
#include "http/base64.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace berth::berthd {
namespace {

using nlohmann::json;

// A stat's mode as Go's os.FileMode, which the docker CLI decodes.
std::uint32_t go_file_mode(std::uint32_t mode) {
  std::uint32_t go = mode & 0777U;
  switch (mode & S_IFMT) {
  case S_IFDIR: go |= 1U << 31U; break;
  case S_IFLNK: go |= 1U << 27U; break;
  case S_IFBLK: go |= 1U << 26U; break;
  case S_IFCHR: go |= (1U << 26U) | (1U << 21U); break;
  case S_IFIFO: go |= 1U << 25U; break;
  case S_IFSOCK: go |= 1U << 24U; break;
  default: break;
  }
  go |= (mode & S_ISUID) != 0 ? 1U << 23U : 0U;
  go |= (mode & S_ISGID) != 0 ? 1U << 22U : 0U;
  go |= (mode & S_ISVTX) != 0 ? 1U << 20U : 0U;
  return go;
}

std::string utc_time(std::int64_t seconds) {
  const auto when = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text.data();
}

std::pair<std::string, std::string> stat_header(const PathStat &stat) {
  const json body{{"name", stat.name},
                  {"size", stat.size},
                  {"mode", go_file_mode(stat.mode)},
                  {"mtime", utc_time(stat.mtime)},
                  {"linkTarget", stat.link_target}};
  return {"X-Docker-Container-Path-Stat", http::base64_encode(body.dump())};
}

// 404 for a path that is not there, as Docker answers (the CLI says "Could
// not find the file ... in container ...").
http::Response path_error(const sdk::Error &error) {
  return docker_error(error.code == sdk::Errc::not_found ? 404 : 500, error.describe());
}

http::Response stat(ApiContext &context, http::Request &request) {
  const auto path = request.query_value("path");
  if (path.empty()) {
    return docker_error(400, "path: is required: the file or directory in the container");
  }
  return with_containers(context, [&](ContainerService &containers, EnginePool::Lease &lease) {
    auto found = containers.stat_path(request.param("id"), path);
    if (!found.ok()) {
      return path_error(found.error());
    }
    http::Response response;
    response.headers.push_back(stat_header(*found));
    if (request.method == "GET") {
      response.content_type = "application/x-tar";
      response.stream = [held = std::make_shared<EnginePool::Lease>(std::move(lease)), &containers,
                         id = request.param("id"), path](http::ChunkWriter &writer) {
        (void)containers.archive_out(
            id, path, [&writer](std::string_view bytes) { return writer.write(bytes); });
      };
    }
    return response;
  });
}

http::Response extract(ApiContext &context, http::Request &request) {
  const auto path = request.query_value("path");
  if (path.empty()) {
    return docker_error(400, "path: is required: the directory in the container to extract into");
  }
  std::string file = (std::filesystem::temp_directory_path() / "berth-put-XXXXXX").string();
  const int fd = ::mkstemp(file.data());
  if (fd < 0) {
    return docker_error(500, "cannot make a temporary file for the archive");
  }
  const bool written = ::write(fd, request.body.data(), request.body.size()) ==
                       static_cast<ssize_t>(request.body.size());
  ::close(fd);
  auto response =
      written ? with_containers(
                    context,
                    [&](ContainerService &containers, EnginePool::Lease &) {
                      auto extracted = containers.archive_in(request.param("id"), path, file);
                      return extracted.ok() ? empty_response(200) : path_error(extracted.error());
                    })
              : docker_error(500, "cannot write the archive to a temporary file");
  ::unlink(file.c_str());
  return response;
}

} // namespace

void add_archive_routes(http::Router &router, ApiContext &context) {
  add_routes(router, context,
             {
                 {"HEAD", "/containers/{id}/archive", stat},
                 {"GET", "/containers/{id}/archive", stat},
                 {"PUT", "/containers/{id}/archive", extract},
             });
}

} // namespace berth::berthd
