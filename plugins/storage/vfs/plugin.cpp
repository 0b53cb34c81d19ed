#include "vfs/vfs_driver.hpp"

BERTH_PLUGIN(berth::storage::VfsDriver, "vfs", "1.0.0",
             "a full copy per snapshot (reflinks where the file system has them); runs anywhere",
             berth::sdk::kNoOptions)
