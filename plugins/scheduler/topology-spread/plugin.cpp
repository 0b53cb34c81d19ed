#include "topology-spread/topology_spread.hpp"

namespace berth::scheduler {

sdk::Result<std::unique_ptr<TopologySpread>>
TopologySpread::create(sdk::HostServices & /*host*/, const nlohmann::json & /*options*/) {
  return std::make_unique<TopologySpread>();
}

} // namespace berth::scheduler

BERTH_PLUGIN(berth::scheduler::TopologySpread, "topology-spread", "1.0.0",
             "keeps matching pods within maxSkew across the values of a node label",
             berth::sdk::kNoOptions)
