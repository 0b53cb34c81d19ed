// The seccomp profile a container runs under, as the OCI runtime spec's
// linux.seccomp object: berth's built-in default (Docker's in spirit) or a
// Docker-format profile given with --security-opt seccomp=FILE.
//
// Docker-format profiles say which rules apply through includes/excludes on
// capabilities, architectures and kernel versions; the OCI object has no such
// filters, so the conversion resolves them here, for this host and the
// container's capabilities, and the runtime only loads what is left.
#pragma once

#include <berth/sdk/result.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

// The default profile for a container holding capabilities (OCI names,
// "CAP_SYS_ADMIN"; the bounding set is the one that matters). Architectures
// are this host's native one and its compat ABIs (x86_64: also x86 and x32;
// aarch64: also arm).
nlohmann::json default_seccomp_profile(const std::vector<std::string> &capabilities);

// Reads a Docker-format seccomp profile (what `docker run --security-opt
// seccomp=FILE` takes) and converts it for a container holding capabilities.
// Errors (invalid_argument, or not_found / permission for an unreadable file)
// are one line with the file as context.
sdk::Result<nlohmann::json> load_seccomp_profile_file(const std::filesystem::path &file,
                                                      const std::vector<std::string> &capabilities);

// The conversion behind both, for a profile already parsed (the HTTP API
// receives the profile's text, not a path). origin names it in errors.
sdk::Result<nlohmann::json>
convert_docker_seccomp_profile(const nlohmann::json &profile,
                               const std::vector<std::string> &capabilities,
                               const std::string &origin);

} // namespace berth
