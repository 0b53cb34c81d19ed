#include "resources-fit/resources_fit.hpp"

namespace berth::scheduler {

sdk::Result<std::unique_ptr<ResourcesFit>>
ResourcesFit::create(sdk::HostServices & /*host*/, const nlohmann::json & /*options*/) {
  return std::make_unique<ResourcesFit>();
}

} // namespace berth::scheduler

BERTH_PLUGIN(berth::scheduler::ResourcesFit, "resources-fit", "1.0.0",
             "filters out nodes without room for the pod's cpu, memory, pods and extended "
             "resources",
             berth::sdk::kNoOptions)
