// The JSON an image brings: manifests, indexes, a docker-archive's
// manifest.json and the image config. Each input goes to every parser. A
// config that parses must then be safe for everything that reads it later
// (`run`, `-P`, `inspect`): they may refuse it, but never throw.
#include "fuzz_target.hpp"

#include "container/image_defaults.hpp"
#include "container/spec_builder.hpp"
#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "network/published_port.hpp"

namespace {

using json = nlohmann::json;

void manifest(std::string_view text) {
  const auto parsed = berth::parse_image_manifest(text);
  if (berth::fuzz::refused(parsed)) {
    return;
  }
  BERTH_FUZZ_CHECK(berth::is_digest(parsed->config.digest));
  for (const auto &layer : parsed->layers) {
    BERTH_FUZZ_CHECK(berth::media::is_layer(layer.media_type) && berth::is_digest(layer.digest));
  }
}

void index(std::string_view text) {
  const auto entries = berth::parse_image_index(text);
  if (!berth::fuzz::refused(entries) && !entries->empty()) {
    (void)berth::pick_platform(*entries, "amd64");
  }
}

void config(std::string_view text) {
  const auto parsed = berth::parse_image_config(text);
  if (berth::fuzz::refused(parsed)) {
    return;
  }
  for (const auto &diff_id : parsed->diff_ids) {
    BERTH_FUZZ_CHECK(berth::is_digest(diff_id));
  }
  const auto &document = parsed->document;
  berth::ContainerConfig container;
  container.image = "fuzzed";
  (void)berth::container_args(container, document);
  (void)berth::exposed_ports(document);
  json inspected = json::object();
  berth::add_image_defaults(inspected, container, document.value("config", json::object()));
  berth::SpecInputs inputs;
  inputs.id = "fuzzed";
  inputs.config = container;
  inputs.image_config = document;
  inputs.rootfs = "/nonexistent/berth-fuzz";
  (void)berth::build_spec(inputs);
  // What `inspect` and `history` print of it.
  (void)document.dump();
  for (const auto &step : document.value("history", json::array())) {
    (void)step.value("created_by", "");
    (void)step.value("empty_layer", false);
  }
}

} // namespace

BERTH_FUZZ_TARGET(image_json) {
  const auto text = berth::fuzz::text_of(data, size);
  manifest(text);
  index(text);
  (void)berth::parse_docker_manifest(text);
  config(text);
  return 0;
}
