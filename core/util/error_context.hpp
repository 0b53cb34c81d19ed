// Adding where an error happened, once: the innermost context wins.
#pragma once

#include <berth/sdk/result.hpp>

#include <string>

namespace berth {

inline sdk::Error with_context(sdk::Error error, const std::string &context) {
  if (error.context.empty()) {
    error.context = context;
  }
  return error;
}

} // namespace berth
