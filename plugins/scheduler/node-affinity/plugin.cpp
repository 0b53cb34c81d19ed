#include "node-affinity/node_affinity.hpp"

BERTH_PLUGIN(berth::scheduler::NodeAffinityPlugin, "node-affinity", "1.0.0",
             "filters by nodeSelector and required node affinity; scores preferred terms",
             berth::sdk::kNoOptions)
