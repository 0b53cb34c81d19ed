// What a container takes from its image's config where the user said
// nothing, shown the way `docker inspect` shows it under Config.
#pragma once

#include "container/container_config.hpp"

#include <nlohmann/json.hpp>

namespace berth {

// Fills inspect's Config from image_config (the image's "Config" object):
// User when -u was not given, StopSignal (--stop-signal or the image's),
// and the image's Healthcheck and Volumes, which Docker records as they are.
void add_image_defaults(nlohmann::json &config, const ContainerConfig &container,
                        const nlohmann::json &image_config);

} // namespace berth
