#include <berth/sdk/scheduler.hpp>
#include <berth/sdk/testing/plugin_conformance.hpp>
#include <berth/sdk/testing/scheduler_conformance.hpp>

extern "C" const berth_plugin_descriptor *berth_plugin(void);

// The SDK's kits: handshake, create from defaults, destroy; then what the
// scheduler framework relies on (reasons, score range, thread safety).
BERTH_PLUGIN_CONFORMANCE(PreferLabelConformance, berth_plugin)
using berth::sdk::testing::SchedulerPluginConformance;
INSTANTIATE_TEST_SUITE_P(PreferLabel, SchedulerPluginConformance, ::testing::Values(&berth_plugin));

namespace {

// Creates the plugin through its descriptor, as berth does.
std::unique_ptr<berth::sdk::SchedulerPlugin> make(berth::sdk::HostServices &host,
                                                  const nlohmann::json &options) {
  void *instance = nullptr;
  char message[256] = {};
  const auto text = options.dump();
  if (berth_plugin()->create(&host, text.c_str(), &instance, message, sizeof message) != BERTH_OK) {
    ADD_FAILURE() << message;
    return nullptr;
  }
  return std::unique_ptr<berth::sdk::SchedulerPlugin>(
      static_cast<berth::sdk::SchedulerPlugin *>(instance));
}

TEST(PreferLabel, ScoresOnlyNodesWithTheLabel) {
  berth::sdk::testing::TestHost host;
  auto plugin = make(host, {{"label", "disk=ssd"}, {"score", 80}});
  ASSERT_NE(plugin, nullptr);
  berth::sdk::NodeInfo ssd;
  ssd.labels = {{"disk", "ssd"}};
  berth::sdk::NodeInfo hdd;
  hdd.labels = {{"disk", "hdd"}};
  EXPECT_EQ(plugin->score({}, ssd), 80);
  EXPECT_EQ(plugin->score({}, hdd), 0);
  EXPECT_EQ(plugin->score({}, berth::sdk::NodeInfo{}), 0);
}

TEST(PreferLabel, RejectsAScoreOutOfRange) {
  berth::sdk::testing::TestHost host;
  void *instance = nullptr;
  char message[256] = {};
  const std::string options = R"({"label": "a", "score": 500})";
  EXPECT_EQ(berth_plugin()->create(&host, options.c_str(), &instance, message, sizeof message),
            BERTH_ERROR);
  EXPECT_STREQ(message, "score: must be between 0 and 100");
}

} // namespace
