// A unique directory under /tmp, removed with everything in it when the test
// ends, pass or fail.
#pragma once

#include <filesystem>
#include <string>

namespace berth::testing {

class TempDir {
public:
  explicit TempDir(const std::string &prefix = "berth-test");
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  TempDir(TempDir &&) = delete;
  TempDir &operator=(TempDir &&) = delete;

  [[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }
  // Writes text to path()/name, creating parent directories; returns the path.
  std::filesystem::path write(const std::string &name, const std::string &text) const;

private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path &file);

} // namespace berth::testing
