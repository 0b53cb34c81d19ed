// What earlier commands learnt about each plugin file, so that a command
// opens only the plugins it uses. Loading a plugin maps its library and
// every library that one needs (bridge: libnftables and five more); doing it
// for all fourteen in-tree plugins was a third of a `berth run`.
//
// An entry is trusted only while the file is the same one (device, inode,
// size, mtime and ctime, which only root can set) and only within the boot
// in which its probe passed, since a probe asks the running kernel. A
// plugin is still opened, checked and probed again before it is used.
#pragma once

#include "plugin/plugin_info.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace berth {

// The identity of a plugin file as stat(2) gives it.
struct FileStamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;

  bool operator==(const FileStamp &) const = default;
};

// The stamp of file, or nullopt when it cannot be stat'ed.
std::optional<FileStamp> stamp_of(const std::filesystem::path &file);

class PluginIndex {
public:
  // An empty index that saves nowhere: every plugin is opened.
  PluginIndex() = default;
  // The index kept in file. A missing, unreadable or stale file (another
  // boot, another core ABI or toolchain) gives an empty index.
  static PluginIndex load(const std::filesystem::path &file);

  // What file held when its stamp was stamp, if this index knows.
  [[nodiscard]] std::optional<PluginInfo> lookup(const std::filesystem::path &file,
                                                 const FileStamp &stamp) const;
  // Records a plugin that passed the handshake and its probe in this boot.
  void remember(const std::filesystem::path &file, const FileStamp &stamp, const PluginInfo &info);
  // Drops what is known of file (it changed, or failed when opened).
  void forget(const std::filesystem::path &file);

  // Writes the index back (0600, atomically) when it changed and its
  // directory exists. Failure is harmless: the next command opens more.
  void save() const;

private:
  struct Entry {
    FileStamp stamp;
    PluginInfo info;
  };

  std::filesystem::path file_;
  std::string boot_id_;
  std::map<std::string, Entry> entries_;
  bool dirty_ = false;
};

} // namespace berth
