#include "anti-affinity/anti_affinity.hpp"

namespace berth::scheduler {

sdk::Result<std::unique_ptr<PodAntiAffinityPlugin>>
PodAntiAffinityPlugin::create(sdk::HostServices & /*host*/, const nlohmann::json & /*options*/) {
  return std::make_unique<PodAntiAffinityPlugin>();
}

} // namespace berth::scheduler

BERTH_PLUGIN(berth::scheduler::PodAntiAffinityPlugin, "anti-affinity", "1.0.0",
             "keeps pods apart from pods matching a selector within a topology domain",
             berth::sdk::kNoOptions)
