// An owned file descriptor: the SDK's, so that the core and plugins share one.
#pragma once

#include <berth/sdk/unique_fd.hpp>

namespace berth {

using sdk::UniqueFd;

} // namespace berth
