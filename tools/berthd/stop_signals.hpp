// How berthd's commands wait to be stopped.
#pragma once

#include <csignal>

namespace berth::berthd {

// Blocks SIGINT and SIGTERM in every thread (threads inherit the mask), so
// that the main thread can wait for them with sigwait and stop cleanly; a
// client gone mid-write becomes an error code, not a SIGPIPE death.
sigset_t block_stop_signals();

} // namespace berth::berthd
