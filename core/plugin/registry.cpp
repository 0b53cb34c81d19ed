#include "plugin/registry.hpp"

#include "plugin/handshake.hpp"
#include "plugin/plugin_library.hpp"

#include <algorithm>
#include <array>

namespace berth {

std::string_view status_name(PluginStatus status) noexcept {
  switch (status) {
  case PluginStatus::loaded: return "loaded";
  case PluginStatus::skipped: return "skipped";
  case PluginStatus::refused: return "refused";
  }
  return "unknown";
}

std::string PluginEntry::describe_problem() const {
  if (!file.empty()) {
    return file.string() + ": " + reason;
  }
  return "plugin '" + (info ? info->name : std::string{"?"}) + "': " + reason;
}

PluginRegistry::PluginRegistry() = default;
PluginRegistry::~PluginRegistry() = default;
PluginRegistry::PluginRegistry(PluginRegistry &&) noexcept = default;
PluginRegistry &PluginRegistry::operator=(PluginRegistry &&) noexcept = default;

// Only files named as berth_add_plugin names them: dlopen runs a library's
// constructors, so a plugin path that also holds other libraries must not
// make berth execute them.
bool is_plugin_file_name(const std::filesystem::path &file) {
  const auto name = file.filename().string();
  return name.size() > 9 && name.rfind("berth-", 0) == 0 && file.extension() == ".so";
}

void PluginRegistry::load_directory(const std::filesystem::path &dir, PluginIndex *index) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(dir, error);
  for (; !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    std::error_code type_error;
    if (is_plugin_file_name(it->path()) && !it->is_directory(type_error)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto &file : files) {
    load_file(file, index);
  }
}

namespace {

PluginEntry refused(std::filesystem::path file, std::string reason) {
  PluginEntry entry;
  entry.file = std::move(file);
  entry.status = PluginStatus::refused;
  entry.reason = std::move(reason);
  return entry;
}

// Runs the handshake and the probe; fills status, reason and info.
void examine(PluginEntry &entry, const berth_plugin_descriptor *descriptor) {
  auto info = check_descriptor(descriptor);
  if (!info.ok()) {
    entry.status = PluginStatus::refused;
    entry.reason = info.error().message;
    return;
  }
  entry.info = std::move(info).value();
  entry.descriptor = descriptor;
  entry.status = PluginStatus::loaded;
  if (descriptor->probe == nullptr) {
    return;
  }
  std::array<char, 512> reason{};
  const int rc = descriptor->probe(reason.data(), reason.size());
  if (rc == BERTH_OK) {
    return;
  }
  reason.back() = '\0'; // whatever the plugin wrote, stop at the buffer's end
  const std::string text = reason.front() != '\0' ? reason.data() : "the plugin gave no reason";
  if (rc == BERTH_SKIP) {
    entry.status = PluginStatus::skipped;
    entry.reason = text;
    return;
  }
  entry.status = PluginStatus::refused;
  entry.reason = text;
  entry.descriptor = nullptr;
}

bool needs_opening(const PluginEntry &entry) {
  return entry.status == PluginStatus::loaded && entry.descriptor == nullptr && !entry.file.empty();
}

} // namespace

void PluginRegistry::load_file(const std::filesystem::path &file, PluginIndex *index) {
  const auto stamp = index != nullptr ? stamp_of(file) : std::nullopt;
  if (stamp) {
    if (auto info = index->lookup(file, *stamp)) {
      PluginEntry entry;
      entry.file = file;
      entry.status = PluginStatus::loaded;
      entry.info = std::move(info);
      admit(std::move(entry));
      return;
    }
  }
  auto library = PluginLibrary::open(file);
  if (!library.ok()) {
    admit(refused(file, library.error().message));
    return;
  }
  PluginEntry entry;
  entry.file = file;
  examine(entry, (*library)->descriptor());
  if (entry.status == PluginStatus::loaded) {
    entry.library = std::move(library).value();
    if (stamp) {
      index->remember(file, *stamp, *entry.info);
    }
  } else if (index != nullptr) {
    index->forget(file);
  }
  admit(std::move(entry));
}

void PluginRegistry::open_entry(PluginEntry &entry) const {
  auto library = PluginLibrary::open(entry.file);
  if (!library.ok()) {
    entry.status = PluginStatus::refused;
    entry.reason = library.error().message;
    return;
  }
  PluginEntry fresh;
  examine(fresh, (*library)->descriptor());
  if (fresh.info &&
      (fresh.info->name != entry.info->name || fresh.info->kind != entry.info->kind)) {
    entry.status = PluginStatus::refused;
    entry.reason = "now provides " + std::string(kind_name(fresh.info->kind)) + " plugin '" +
                   fresh.info->name + "'; run the command again";
    return;
  }
  entry.status = fresh.status;
  entry.reason = fresh.reason;
  entry.descriptor = fresh.descriptor;
  if (entry.status == PluginStatus::loaded) {
    entry.library = std::move(library).value();
  }
}

void PluginRegistry::open_all() const {
  std::lock_guard lock(*open_mutex_);
  for (auto &entry : entries_) {
    if (needs_opening(entry)) {
      open_entry(entry);
    }
  }
}

void PluginRegistry::add_builtin(const berth_plugin_descriptor *(*entry_point)()) {
  PluginEntry entry;
  examine(entry, entry_point());
  admit(std::move(entry));
}

void PluginRegistry::admit(PluginEntry entry) {
  if (entry.info && entry.status != PluginStatus::refused) {
    if (const auto *owner = find(entry.info->name)) {
      entry.status = PluginStatus::refused;
      entry.reason = "duplicate plugin name '" + entry.info->name + "' (already provided by " +
                     (owner->file.empty() ? std::string{"berth itself"} : owner->file.string()) +
                     ")";
      entry.descriptor = nullptr;
      entry.library.reset();
    }
  }
  entries_.push_back(std::move(entry));
}

const PluginEntry *PluginRegistry::find(std::string_view name) const noexcept {
  // A refused duplicate never owns a name: the first plugin to claim it does.
  for (const auto &entry : entries_) {
    if (entry.info && entry.info->name == name && entry.status != PluginStatus::refused) {
      return &entry;
    }
  }
  for (const auto &entry : entries_) {
    if (entry.info && entry.info->name == name) {
      return &entry;
    }
  }
  return nullptr;
}

std::vector<std::string> PluginRegistry::plugin_names(PluginKind kind) const {
  std::vector<std::string> names;
  for (const auto &entry : entries_) {
    if (entry.status != PluginStatus::refused && entry.info->kind == kind) {
      names.push_back(entry.info->name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

sdk::Result<std::shared_ptr<void>>
PluginRegistry::create_raw(std::string_view name, std::uint32_t abi_kind,
                           const nlohmann::json &options,
                           std::shared_ptr<sdk::HostServices> host) const {
  if (!host) {
    return sdk::make_error(sdk::Errc::internal,
                           "no host services to create plugin '" + std::string(name) + "' with");
  }
  const PluginEntry *entry = find(name);
  if (entry == nullptr) {
    return sdk::make_error(sdk::Errc::not_found, "no plugin named '" + std::string(name) + "'");
  }
  {
    std::lock_guard lock(*open_mutex_);
    if (needs_opening(*entry)) {
      open_entry(entries_[static_cast<std::size_t>(entry - entries_.data())]);
    }
  }
  if (entry->status != PluginStatus::loaded) {
    return sdk::make_error(entry->status == PluginStatus::skipped ? sdk::Errc::unavailable
                                                                  : sdk::Errc::invalid_argument,
                           entry->describe_problem());
  }
  if (entry->descriptor->kind != abi_kind) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "plugin '" + std::string(name) + "' is a " +
                               std::string(kind_name(entry->info->kind)) + " plugin");
  }
  const auto filled = with_defaults(entry->info->options, options).dump();
  void *instance = nullptr;
  std::array<char, 1024> message{};
  const int rc = entry->descriptor->create(host.get(), filled.c_str(), &instance, message.data(),
                                           message.size());
  message.back() = '\0';
  if (rc != BERTH_OK || instance == nullptr) {
    PluginEntry failed = *entry;
    failed.reason =
        std::string(rc == BERTH_SKIP ? "cannot run on this host: " : "create failed: ") +
        (message.front() != '\0' ? message.data() : "no reason given");
    return sdk::make_error(rc == BERTH_SKIP ? sdk::Errc::unavailable : sdk::Errc::internal,
                           failed.describe_problem());
  }
  // The deleter runs the plugin's own destroy and holds the library and the
  // host services, so neither goes away while the object lives.
  auto destroy = entry->descriptor->destroy;
  auto library = entry->library;
  return std::shared_ptr<void>(instance, [destroy, library, host = std::move(host)](void *object) {
    destroy(object);
    (void)library;
    (void)host;
  });
}

} // namespace berth
