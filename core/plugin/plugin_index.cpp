#include "plugin/plugin_index.hpp"

#include "util/private_dir.hpp"

#include "plugin/handshake.hpp"

#include <berth/sdk/plugin_abi.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <fstream>
#include <unistd.h>

namespace berth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormat = 1;

std::string current_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::string core_abi() {
  return std::to_string(BERTH_ABI_MAJOR) + "." + std::to_string(BERTH_ABI_MINOR);
}

json stamp_json(const FileStamp &stamp) {
  return json::array({stamp.device, stamp.inode, stamp.size, stamp.mtime_ns, stamp.ctime_ns});
}

FileStamp stamp_from(const json &value) {
  return {value.at(0).get<std::uint64_t>(), value.at(1).get<std::uint64_t>(),
          value.at(2).get<std::int64_t>(), value.at(3).get<std::int64_t>(),
          value.at(4).get<std::int64_t>()};
}

json option_json(const OptionSpec &option) {
  json out{{"name", option.name},
           {"type", option_type_name(option.type)},
           {"choices", option.choices},
           {"doc", option.doc}};
  if (option.default_value) {
    out["default"] = *option.default_value;
  }
  return out;
}

OptionType option_type_from(const std::string &name) {
  for (auto type : {OptionType::string, OptionType::boolean, OptionType::integer,
                    OptionType::floating, OptionType::list, OptionType::map}) {
    if (option_type_name(type) == name) {
      return type;
    }
  }
  throw std::invalid_argument("unknown option type " + name);
}

OptionSpec option_from(const json &value) {
  OptionSpec option;
  option.name = value.at("name").get<std::string>();
  option.type = option_type_from(value.at("type").get<std::string>());
  if (value.contains("default")) {
    option.default_value = value.at("default");
  }
  option.choices = value.at("choices").get<std::vector<std::string>>();
  option.doc = value.at("doc").get<std::string>();
  return option;
}

json info_json(const PluginInfo &info) {
  json options = json::array();
  for (const auto &option : info.options) {
    options.push_back(option_json(option));
  }
  return {{"kind", kind_name(info.kind)},
          {"name", info.name},
          {"version", info.version},
          {"description", info.description},
          {"options", std::move(options)}};
}

PluginInfo info_from(const json &value) {
  PluginInfo info;
  const auto kind = value.at("kind").get<std::string>();
  bool known = false;
  for (auto candidate : kAllPluginKinds) {
    if (kind_name(candidate) == kind) {
      info.kind = candidate;
      known = true;
    }
  }
  if (!known) {
    throw std::invalid_argument("unknown plugin kind " + kind);
  }
  info.name = value.at("name").get<std::string>();
  info.version = value.at("version").get<std::string>();
  info.description = value.at("description").get<std::string>();
  for (const auto &option : value.at("options")) {
    info.options.push_back(option_from(option));
  }
  return info;
}

// True when the file was written for this boot, core ABI and toolchain.
bool current(const json &document, const std::string &boot_id) {
  return document.value("format", 0) == kFormat && document.value("bootId", "") == boot_id &&
         document.value("abi", "") == core_abi() &&
         document.value("toolchain", "") == core_toolchain_tag();
}

} // namespace

std::optional<FileStamp> stamp_of(const fs::path &file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    return std::nullopt;
  }
  constexpr std::int64_t kNanos = 1'000'000'000;
  return FileStamp{static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
                   static_cast<std::int64_t>(info.st_size),
                   info.st_mtim.tv_sec * kNanos + info.st_mtim.tv_nsec,
                   info.st_ctim.tv_sec * kNanos + info.st_ctim.tv_nsec};
}

PluginIndex PluginIndex::load(const fs::path &file) {
  PluginIndex index;
  index.file_ = file;
  index.boot_id_ = current_boot_id();
  std::ifstream in(file);
  if (!in || index.boot_id_.empty()) {
    return index;
  }
  try {
    const auto document = json::parse(in);
    if (!current(document, index.boot_id_)) {
      index.dirty_ = true; // rewritten for this boot
      return index;
    }
    for (const auto &[path, entry] : document.at("plugins").items()) {
      index.entries_[path] = Entry{stamp_from(entry.at("stamp")), info_from(entry.at("info"))};
    }
  } catch (const std::exception &) {
    // A damaged index is rebuilt from the plugins themselves.
    index.entries_.clear();
    index.dirty_ = true;
  }
  return index;
}

std::optional<PluginInfo> PluginIndex::lookup(const fs::path &file, const FileStamp &stamp) const {
  auto found = entries_.find(file.string());
  if (found == entries_.end() || !(found->second.stamp == stamp)) {
    return std::nullopt;
  }
  return found->second.info;
}

void PluginIndex::remember(const fs::path &file, const FileStamp &stamp, const PluginInfo &info) {
  if (file_.empty() || boot_id_.empty()) {
    return;
  }
  entries_[file.string()] = Entry{stamp, info};
  dirty_ = true;
}

void PluginIndex::forget(const fs::path &file) {
  if (entries_.erase(file.string()) != 0U) {
    dirty_ = true;
  }
}

void PluginIndex::save() const {
  if (!dirty_ || file_.empty() || !fs::is_directory(file_.parent_path())) {
    return;
  }
  json plugins = json::object();
  for (const auto &[path, entry] : entries_) {
    plugins[path] = {{"stamp", stamp_json(entry.stamp)}, {"info", info_json(entry.info)}};
  }
  const json document{{"format", kFormat},
                      {"bootId", boot_id_},
                      {"abi", core_abi()},
                      {"toolchain", core_toolchain_tag()},
                      {"plugins", std::move(plugins)}};
  // Two commands (or two of berthd's threads) saving at once each leave a
  // whole file.
  (void)write_file_atomically(file_, document.dump(), 0600, false);
}

} // namespace berth
