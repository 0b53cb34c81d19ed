#include "host/host_driver.hpp"

BERTH_PLUGIN(berth::network::HostDriver, "host", "1.0.0",
             "the container shares the host's network namespace; no isolation, no set-up",
             berth::sdk::kNoOptions)
