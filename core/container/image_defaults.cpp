#include "container/image_defaults.hpp"

namespace berth {

void add_image_defaults(nlohmann::json &config, const ContainerConfig &container,
                        const nlohmann::json &image_config) {
  const auto image = image_config.is_object() ? image_config : nlohmann::json::object();
  if (container.user.empty()) {
    config["User"] = image.value("User", std::string{});
  }
  const auto stop_signal = !container.stop_signal.empty()
                               ? container.stop_signal
                               : image.value("StopSignal", std::string{});
  if (!stop_signal.empty()) {
    config["StopSignal"] = stop_signal;
  }
  for (const char *key : {"Healthcheck", "Volumes"}) {
    if (auto found = image.find(key); found != image.end() && !found->is_null()) {
      config[key] = *found;
    }
  }
}

} // namespace berth
