#include "none/none_driver.hpp"

BERTH_PLUGIN(berth::network::NoneDriver, "none", "1.0.0",
             "a private network namespace with loopback only", berth::sdk::kNoOptions)
