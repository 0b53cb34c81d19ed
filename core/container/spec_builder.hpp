// Turns an image config plus a user's ContainerConfig into an OCI runtime
// spec (config.json), with Docker's defaults: capabilities, masked and
// read-only paths, /dev, /proc, /sys, the seccomp profile.
#pragma once

#include "container/container_config.hpp"

#include <berth/sdk/result.hpp>

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

struct ProcessUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home = "/";
};

// "name", "uid", "name:group" or "uid:gid", looked up in the root
// filesystem's /etc/passwd and /etc/group like Docker does.
sdk::Result<ProcessUser> resolve_user(const std::filesystem::path &rootfs, const std::string &user);

// A volume resolved to the host directory to bind.
struct ResolvedMount {
  std::string source; // host path
  std::string target;
  bool read_only = false;
};

struct SpecInputs {
  std::string id;
  ContainerConfig config;
  nlohmann::json image_config; // the image's config document
  std::filesystem::path rootfs;
  std::filesystem::path hostname_file;
  std::filesystem::path hosts_file;
  std::filesystem::path resolv_file;
  std::vector<ResolvedMount> mounts;
  std::filesystem::path init_binary; // for --init
  ProcessUser user;
  std::string hostname;
  nlohmann::json seccomp; // linux.seccomp, or null for unconfined
  // The host's network namespace, or the file of one made at start ("" for
  // a fresh one with loopback only, when the stack has no network section).
  bool host_network = false;
  std::string netns;
};

// Docker's default capability set, OCI names.
const std::vector<std::string> &default_capabilities();
// The default set changed by --cap-add and --cap-drop ("ALL" allowed).
std::vector<std::string> effective_capabilities(const ContainerConfig &config);

// Fails with a one-line message for a request the host cannot grant, such as
// a --ulimit above the engine's own hard limit.
sdk::Result<nlohmann::json> build_spec(const SpecInputs &inputs);

// The program the container runs: entrypoint + cmd, as Docker combines them.
std::vector<std::string> container_args(const ContainerConfig &config,
                                        const nlohmann::json &image_config);

// An OCI process for `exec` from the container's spec and the request.
struct ExecRequest {
  std::vector<std::string> args;
  std::vector<std::string> env; // added to the container's
  std::string user;             // "" the container's
  std::string workdir;          // "" the container's
  bool tty = false;
};
sdk::Result<nlohmann::json> exec_process(const nlohmann::json &spec, const ExecRequest &request,
                                         const std::filesystem::path &rootfs);

} // namespace berth
