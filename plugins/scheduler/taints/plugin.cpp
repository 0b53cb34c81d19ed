#include "taints/taints.hpp"

BERTH_PLUGIN(berth::scheduler::TaintToleration, "taints", "1.0.0",
             "filters out untolerated NoSchedule/NoExecute taints; prefers nodes with fewer "
             "untolerated PreferNoSchedule taints",
             berth::sdk::kNoOptions)
