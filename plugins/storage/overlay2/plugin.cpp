#include "overlay2/overlay_driver.hpp"

BERTH_PLUGIN(berth::storage::OverlayDriver, "overlay2", "1.0.0",
             "overlayfs snapshots: copy-on-write root filesystems, no depth limit below the "
             "kernel's 500 layers",
             berth::sdk::kNoOptions)
