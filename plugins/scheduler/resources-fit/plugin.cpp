#include "resources-fit/resources_fit.hpp"

BERTH_PLUGIN(berth::scheduler::ResourcesFit, "resources-fit", "1.0.0",
             "filters out nodes without room for the pod's cpu, memory, pods and extended "
             "resources",
             berth::sdk::kNoOptions)
