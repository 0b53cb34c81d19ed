#include "topology-spread/topology_spread.hpp"

BERTH_PLUGIN(berth::scheduler::TopologySpread, "topology-spread", "1.0.0",
             "keeps matching pods within maxSkew across the values of a node label",
             berth::sdk::kNoOptions)
