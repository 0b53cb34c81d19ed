#include "taints/taints.hpp"

namespace berth::scheduler {

sdk::Result<std::unique_ptr<TaintToleration>>
TaintToleration::create(sdk::HostServices & /*host*/, const nlohmann::json & /*options*/) {
  return std::make_unique<TaintToleration>();
}

} // namespace berth::scheduler

BERTH_PLUGIN(berth::scheduler::TaintToleration, "taints", "1.0.0",
             "filters out untolerated NoSchedule/NoExecute taints; prefers nodes with fewer "
             "untolerated PreferNoSchedule taints",
             berth::sdk::kNoOptions)
