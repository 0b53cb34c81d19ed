#include "common/allocation_score.hpp"

BERTH_PLUGIN(berth::scheduler::AllocationScore<berth::scheduler::Preference::least_allocated>,
             "spread", "1.0.0", "prefers the node with the most room left (spreads pods)",
             berth::scheduler::kAllocationOptions)
