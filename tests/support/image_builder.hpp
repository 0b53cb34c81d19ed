// Builds layer tars and OCI archives for tests, byte for byte, so that tests
// can feed berth exactly the (good or hostile) input they mean.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace berth::testing {

struct TarEntry {
  enum class Type { file, dir, symlink, hardlink, fifo };
  std::string path;
  Type type = Type::file;
  std::string content; // file data, or the link target
  int mode = 0644;
  int uid = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

TarEntry file(std::string path, std::string content, int mode = 0644);
TarEntry dir(std::string path, int mode = 0755);
TarEntry symlink(std::string path, std::string target);
TarEntry hardlink(std::string path, std::string target);

// Writes a tar (gzip-compressed if gzip) of entries to file.
void write_tar(const std::filesystem::path &file, const std::vector<TarEntry> &entries,
               bool gzip = false);

// Writes an OCI archive holding one image with these layers (each a plain
// tar), tagged name (an annotation) unless empty. Returns the config digest.
// config_json is the image config's "config" object (Cmd, ExposedPorts, ...)
// as JSON text; "" for {"Cmd": ["/bin/sh"]}.
std::string write_oci_archive(const std::filesystem::path &file,
                              const std::vector<std::vector<TarEntry>> &layers,
                              const std::string &name, const std::string &config_json = "");

// The OCI layout directory write_oci_archive tars up, for tests that alter it.
std::string write_oci_layout(const std::filesystem::path &dir,
                             const std::vector<std::vector<TarEntry>> &layers,
                             const std::string &name, const std::string &config_json = "");
// Tars the contents of dir into file.
void tar_directory(const std::filesystem::path &dir, const std::filesystem::path &file);

} // namespace berth::testing
