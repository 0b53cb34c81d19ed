#include "image/reference.hpp"

#include "image/digest.hpp"

#include <algorithm>
#include <regex>

namespace berth {
namespace {

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view part) {
  static const std::regex pattern("[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*");
  return std::regex_match(part.begin(), part.end(), pattern);
}

bool valid_domain(std::string_view part) {
  static const std::regex pattern(
      "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
      "(?::[0-9]+)?");
  return std::regex_match(part.begin(), part.end(), pattern);
}

bool valid_tag(std::string_view tag) {
  static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return std::regex_match(tag.begin(), tag.end(), pattern);
}

bool looks_like_domain(std::string_view part) {
  return part == "localhost" || part.find_first_of(".:") != std::string_view::npos ||
         std::any_of(part.begin(), part.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

sdk::Error invalid(std::string_view text, const std::string &why) {
  return sdk::make_error(sdk::Errc::invalid_argument,
                         "invalid reference format: '" + std::string(text) + "': " + why +
                             " (expected NAME[:TAG][@DIGEST], e.g. busybox:1.36)");
}

// Docker's familiar form of a name: Docker Hub's registry and its library/
// left out, but only where what remains reads back as the same name, since
// berth stores this form and `save` writes it out qualified again.
std::string familiar(std::string name) {
  for (std::string_view prefix : {"docker.io/", "index.docker.io/"}) {
    if (!name.starts_with(prefix)) {
      continue;
    }
    const auto slash = name.find('/', prefix.size());
    // "docker.io/localhost/app" is not "localhost/app", a name on localhost.
    if (slash != std::string::npos &&
        looks_like_domain(std::string_view(name).substr(prefix.size(), slash - prefix.size()))) {
      return name;
    }
    name.erase(0, prefix.size());
    break;
  }
  // On Docker Hub "library/busybox" is "busybox".
  constexpr std::string_view kLibrary = "library/";
  if (name.starts_with(kLibrary) && name.find('/', kLibrary.size()) == std::string::npos) {
    name.erase(0, kLibrary.size());
  }
  return name;
}

// The name as a registry sees it: "busybox" is "docker.io/library/busybox".
std::string qualified_name(const std::string &name) {
  const auto slash = name.find('/');
  if (slash == std::string::npos) {
    return "docker.io/library/" + name;
  }
  if (!looks_like_domain(std::string_view(name).substr(0, slash))) {
    return "docker.io/" + name;
  }
  return name;
}

// Docker's limit on a repository name, counted on its qualified form.
constexpr std::size_t kMaxNameLength = 255;

} // namespace

std::string Reference::str() const {
  if (!tag.empty()) {
    return name + ":" + tag;
  }
  return name + "@" + digest;
}

std::string Reference::qualified() const {
  const auto full = qualified_name(name);
  return tag.empty() ? full + "@" + digest : full + ":" + tag;
}

sdk::Result<Reference> parse_reference(std::string_view text) {
  if (text.empty()) {
    return invalid(text, "it is empty");
  }
  Reference ref;
  std::string_view rest = text;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    if (!is_digest(ref.digest)) {
      return invalid(text, "the digest must be sha256: and 64 hex digits");
    }
    rest = rest.substr(0, at);
  }
  // A colon after the last slash starts the tag; one before it is a port.
  const auto slash = rest.rfind('/');
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    if (!valid_tag(ref.tag)) {
      return invalid(text, "the tag '" + ref.tag + "' is not valid");
    }
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) {
    return invalid(text, "the repository name is empty");
  }
  // Checked exactly below; this keeps the regular expressions off huge input.
  if (rest.size() > 4 * kMaxNameLength) {
    return invalid(text, "the repository name is longer than 255 characters");
  }
  std::size_t start = 0;
  bool first = true;
  while (start <= rest.size()) {
    const auto end = std::min(rest.find('/', start), rest.size());
    const auto part = rest.substr(start, end - start);
    const bool domain = first && end < rest.size() && looks_like_domain(part);
    if (domain ? !valid_domain(part) : !valid_component(part)) {
      const bool upper =
          std::any_of(part.begin(), part.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      return invalid(text, upper ? "repository name must be lowercase"
                                 : "'" + std::string(part) + "' is not a valid name component");
    }
    first = false;
    start = end + 1;
  }
  ref.name = familiar(std::string(rest));
  // Docker counts the qualified name, so that `save`, which writes it, can
  // always read back what berth accepted.
  if (qualified_name(ref.name).size() > kMaxNameLength) {
    return invalid(text, "the repository name is longer than 255 characters");
  }
  if (ref.tag.empty() && ref.digest.empty()) {
    ref.tag = "latest";
  }
  return ref;
}

} // namespace berth
