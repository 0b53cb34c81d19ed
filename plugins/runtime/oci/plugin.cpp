#include "oci/oci_backend.hpp"

namespace {

// No probe: which runtime to look for is an option, and a probe sees no
// options, so create() answers "skip" when the configured binary is missing.
constexpr berth_option_spec kOptions[] = {
    {"binary", BERTH_OPTION_STRING, "\"crun\"", nullptr,
     "the OCI runtime: a name looked up in PATH (crun, runc) or an absolute path"},
    {"root", BERTH_OPTION_STRING, "\"\"", nullptr,
     "the runtime's --root state directory; empty: <plugin state dir>/<binary name>"},
};

} // namespace

BERTH_PLUGIN(berth::runtime::OciBackend, "oci", "1.0.0",
             "an external OCI runtime (crun, runc) driven through its command line", kOptions)
