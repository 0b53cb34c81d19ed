// Image references ("busybox", "registry:5000/team/app:1.2", "app@sha256:..."),
// parsed by the grammar of the distribution spec and kept in Docker's
// familiar form: "docker.io/library/busybox" is stored as "busybox".
#pragma once

#include <berth/sdk/result.hpp>

#include <string>
#include <string_view>

namespace berth {

struct Reference {
  std::string name;   // "busybox", "localhost/app", "registry:5000/team/app"
  std::string tag;    // "latest" unless given; empty with a digest only
  std::string digest; // "sha256:..." when given

  // "name:tag", or "name@digest" when there is no tag.
  [[nodiscard]] std::string str() const;
  // str() with the registry and Docker Hub's library/ spelled out
  // ("docker.io/library/busybox:latest"), as containerd names images.
  [[nodiscard]] std::string qualified() const;
};

// The reference, or "invalid reference format: 'TEXT': why".
sdk::Result<Reference> parse_reference(std::string_view text);

} // namespace berth
