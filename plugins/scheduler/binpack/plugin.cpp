#include "common/allocation_score.hpp"

BERTH_PLUGIN(berth::scheduler::AllocationScore<berth::scheduler::Preference::most_allocated>,
             "binpack", "1.0.0",
             "prefers the fullest node that fits (packs pods, freeing whole nodes)",
             berth::scheduler::kAllocationOptions)
