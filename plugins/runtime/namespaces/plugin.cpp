#include "namespaces/native_backend.hpp"

BERTH_PLUGIN(berth::runtime::NativeBackend, "namespaces", "1.0.0",
             "native Linux namespaces, cgroups v1/v2, capabilities and seccomp; no external "
             "runtime binary",
             berth::sdk::kNoOptions)
