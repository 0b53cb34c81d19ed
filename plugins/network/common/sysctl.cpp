#include "common/sysctl.hpp"

#include <berth/sdk/unique_fd.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>

namespace berth::network {

using sdk::UniqueFd;

sdk::Result<void> write_sysctl(std::string_view key, std::string_view value) {
  const std::string path = "/proc/sys/" + std::string(key);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    return sdk::errno_error("open", path);
  }
  std::array<char, 64> current{};
  const auto n = ::read(fd.get(), current.data(), current.size());
  if (n > 0 &&
      std::string_view(current.data(), static_cast<std::size_t>(n)) == std::string(value) + "\n") {
    return {};
  }
  if (::pwrite(fd.get(), value.data(), value.size(), 0) != static_cast<ssize_t>(value.size())) {
    return sdk::errno_error("write", path);
  }
  return {};
}

} // namespace berth::network
