#include "node-affinity/node_affinity.hpp"

namespace berth::scheduler {

sdk::Result<std::unique_ptr<NodeAffinityPlugin>>
NodeAffinityPlugin::create(sdk::HostServices & /*host*/, const nlohmann::json & /*options*/) {
  return std::make_unique<NodeAffinityPlugin>();
}

} // namespace berth::scheduler

BERTH_PLUGIN(berth::scheduler::NodeAffinityPlugin, "node-affinity", "1.0.0",
             "filters by nodeSelector and required node affinity; scores preferred terms",
             berth::sdk::kNoOptions)
