#include "anti-affinity/anti_affinity.hpp"

BERTH_PLUGIN(berth::scheduler::PodAntiAffinityPlugin, "anti-affinity", "1.0.0",
             "keeps pods apart from pods matching a selector within a topology domain",
             berth::sdk::kNoOptions)
