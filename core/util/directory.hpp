// Listing a directory by file descriptor.
#pragma once

#include <berth/sdk/result.hpp>

#include <string>
#include <vector>

namespace berth {

// The names in the directory open at dir_fd, sorted (so that the same tree
// always gives the same order), without "." and "..". where names the
// directory in errors.
sdk::Result<std::vector<std::string>> list_directory(int dir_fd, const std::string &where);

} // namespace berth
