// prefer-label: a scheduler score plugin that prefers nodes carrying a label.
//
//   scheduler:
//     profiles:
//       - name: default
//         scores: [{ plugin: prefer-label, weight: 2 }]
//         args: { prefer-label: { label: disk=ssd } }
#include <berth/sdk/scheduler.hpp>

namespace {

class PreferLabel final : public berth::sdk::SchedulerPlugin {
public:
  static berth::sdk::Result<std::unique_ptr<PreferLabel>> create(berth::sdk::HostServices &host,
                                                                 const nlohmann::json &options) {
    auto plugin = std::make_unique<PreferLabel>();
    const auto label = options.at("label").get<std::string>();
    const auto equals = label.find('=');
    plugin->key_ = label.substr(0, equals);
    plugin->value_ = equals == std::string::npos ? "" : label.substr(equals + 1);
    plugin->any_value_ = equals == std::string::npos;
    plugin->score_ = options.at("score").get<std::int64_t>();
    if (plugin->score_ < 0 || plugin->score_ > 100) {
      return berth::sdk::make_error(berth::sdk::Errc::invalid_argument, "must be between 0 and 100",
                                    "score");
    }
    host.logger().debug("prefer-label: preferring nodes with " + label);
    return plugin;
  }

  [[nodiscard]] std::uint32_t extension_points() const noexcept override {
    return berth::sdk::kScore;
  }

  std::int64_t score(const berth::sdk::PodSpec & /*pod*/,
                     const berth::sdk::NodeInfo &node) noexcept override {
    if (key_.empty()) {
      return 0;
    }
    auto it = node.labels.find(key_);
    const bool matches = it != node.labels.end() && (any_value_ || it->second == value_);
    return matches ? score_ : 0;
  }

private:
  std::string key_;
  std::string value_;
  bool any_value_ = false;
  std::int64_t score_ = 100;
};

constexpr berth_option_spec kOptions[] = {
    {"label", BERTH_OPTION_STRING, "\"\"", nullptr,
     "KEY=VALUE (or KEY for any value) that preferred nodes carry"},
    {"score", BERTH_OPTION_INT, "100", nullptr, "score of a matching node, 0 to 100"},
};

} // namespace

BERTH_PLUGIN(PreferLabel, "prefer-label", "1.0.0", "prefers nodes that carry a label", kOptions)
