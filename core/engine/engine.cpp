#include "engine/engine.hpp"

#include "config/stack_reference.hpp"
#include "log/logging.hpp"
#include "plugin/handshake.hpp"
#include "plugin/host_services.hpp"
#include "util/private_dir.hpp"
#include "util/text.hpp"

#include <berth/sdk/plugin_abi.h>

#include <cstdlib>

namespace berth {
namespace {

constexpr const char *kSystemStack = "/etc/berth/stack.yaml";

StackLoad load_stack(const EngineOptions &options) {
  if (auto file = choose_stack_file(options)) {
    return read_stack_file(*file, &builtin_default_tree());
  }
  // The built-in stack names no relative paths, so its base directory is moot.
  return parse_stack(builtin_default_stack(), kBuiltinStackName, "/");
}

// The stack's directories first, so a stack can override a built-in plugin
// by name; the same directory is never searched twice.
std::vector<std::filesystem::path> search_path(const Stack &stack, const EngineOptions &options) {
  std::vector<std::filesystem::path> dirs;
  auto add = [&dirs](const std::filesystem::path &dir) {
    std::error_code error;
    auto canonical = std::filesystem::weakly_canonical(dir, error);
    const auto &key = error ? dir : canonical;
    if (std::find(dirs.begin(), dirs.end(), key) == dirs.end()) {
      dirs.push_back(key);
    }
  };
  for (const auto &dir : stack.plugin_paths) {
    add(dir);
  }
  for (const auto &dir : options.builtin_plugin_dirs) {
    add(dir);
  }
  return dirs;
}

// Builds every scheduler profile once, so that a plugin in the wrong role or
// one refusing its options is a stack error, not a surprise at scheduling
// time. Scheduler plugins are cheap to create and touch nothing on disk.
Diagnostics check_profiles(const Stack &stack, const PluginRegistry &registry) {
  Diagnostics diagnostics;
  if (!stack.scheduler) {
    return diagnostics;
  }
  for (const auto &config : stack.scheduler->profiles) {
    Diagnostic problem;
    if (!build_profile(config, stack.source, registry, stack.root, &problem).ok()) {
      diagnostics.push_back(std::move(problem));
    }
  }
  return diagnostics;
}

// What was found where, for --log-level debug: a plugin that does not show
// up is usually in a directory nobody searched.
void log_plugins(const PluginRegistry &registry, const std::vector<std::filesystem::path> &dirs) {
  auto logger = make_logger("plugins");
  if (!logger->enabled(sdk::LogLevel::debug)) {
    return;
  }
  registry.open_all();
  for (const auto &dir : dirs) {
    logger->debug("searching " + dir.string());
  }
  for (const auto &entry : registry.entries()) {
    std::string line(status_name(entry.status));
    line += " ";
    line += entry.info ? entry.info->name : std::string{"?"};
    line += " from ";
    line += entry.file.string();
    if (!entry.reason.empty()) {
      line += ": ";
      line += entry.reason;
    }
    logger->debug(line);
  }
}

} // namespace

std::optional<std::filesystem::path> choose_stack_file(const EngineOptions &options) {
  if (options.stack_file) {
    return options.stack_file;
  }
  if (const char *env = std::getenv("BERTH_STACK"); env != nullptr && *env != '\0') {
    return std::filesystem::path(env);
  }
  if (std::filesystem::exists(kSystemStack)) {
    return std::filesystem::path(kSystemStack);
  }
  return std::nullopt;
}

Engine::Engine(Stack stack, PluginRegistry registry, std::vector<std::filesystem::path> dirs,
               EngineOptions options)
    : stack_(std::move(stack)), registry_(std::move(registry)), plugin_dirs_(std::move(dirs)),
      options_(std::move(options)) {}

EngineOpen Engine::open(const EngineOptions &options, StackCheck check) {
  EngineOpen result;
  auto load = load_stack(options);
  if (!load.stack) {
    result.diagnostics = std::move(load.diagnostics);
    return result;
  }
  Stack stack = std::move(*load.stack);
  if (options.root) {
    stack.root = std::filesystem::absolute(*options.root);
  }
  if (options.log_level) {
    stack.logging.level = *options.log_level;
  }
  configure_logging(stack.logging.level, stack.logging.format);
  make_logger("engine")->debug("stack " + stack.source + ", root " + stack.root.string());
  auto dirs = search_path(stack, options);
  PluginRegistry registry;
  auto index = PluginIndex::load(stack.root / "plugin-index.json");
  for (const auto &dir : dirs) {
    registry.load_directory(dir, &index);
  }
  index.save();
  log_plugins(registry, dirs);
  result.diagnostics = resolve_stack(stack, registry);
  if (result.diagnostics.empty() && check == StackCheck::full) {
    result.diagnostics = check_profiles(stack, registry);
  }
  if (result.diagnostics.empty() || check == StackCheck::plugins_only) {
    result.engine.reset(
        new Engine(std::move(stack), std::move(registry), std::move(dirs), options));
  }
  return result;
}

const PluginRegistry &Engine::plugins() const {
  registry_.open_all();
  return registry_;
}

HostFacts Engine::host_facts() {
  return probe_host();
}

std::string Engine::stack_reference() const {
  return stack_reference_markdown(plugins());
}

namespace {

constexpr std::size_t kDefaultSimulatedNodes = 1000;
constexpr std::size_t kDefaultSimulatedPods = 10000;

sdk::Result<Workload> load_workload(const SimulationRequest &request) {
  if (!request.workload) {
    return uniform_workload(request.nodes != 0 ? request.nodes : kDefaultSimulatedNodes,
                            request.pods != 0 ? request.pods : kDefaultSimulatedPods);
  }
  auto loaded = read_workload_file(*request.workload);
  if (!loaded.workload) {
    return sdk::make_error(sdk::Errc::invalid_argument, to_lines(loaded.diagnostics));
  }
  resize_workload(*loaded.workload, request.nodes, request.pods);
  return std::move(*loaded.workload);
}

} // namespace

sdk::Result<SimulationReport> Engine::simulate(const SimulationRequest &request) const {
  if (auto configured = require_section(PluginKind::scheduler); !configured.ok()) {
    return std::move(configured).error();
  }
  const auto &profiles = stack_.scheduler->profiles;
  const auto wanted = request.profile.empty() ? profiles.front().name : request.profile;
  auto config = std::find_if(profiles.begin(), profiles.end(),
                             [&](const auto &p) { return p.name == wanted; });
  if (config == profiles.end()) {
    std::vector<std::string> names;
    names.reserve(profiles.size());
    for (const auto &p : profiles) {
      names.push_back(p.name);
    }
    return sdk::make_error(sdk::Errc::not_found,
                           "no scheduler profile named '" + wanted + "' in " + stack_.source +
                               " (have: " + join(names, ", ") + ")" + did_you_mean(wanted, names));
  }
  auto workload = load_workload(request);
  if (!workload.ok()) {
    return std::move(workload).error();
  }
  auto profile = build_profile(*config, stack_.source, registry_, stack_.root);
  if (!profile.ok()) {
    return std::move(profile).error();
  }
  return berth::simulate(*workload, std::move(profile).value(), request.options);
}

std::string Engine::plugin_abi() {
  return std::to_string(BERTH_ABI_MAJOR) + "." + std::to_string(BERTH_ABI_MINOR);
}

std::string Engine::toolchain_tag() {
  return core_toolchain_tag();
}

void Engine::request_cancel() noexcept {
  cancellation_flag().store(true);
}

sdk::Result<void> Engine::require_section(PluginKind kind) const {
  const bool configured = [&] {
    switch (kind) {
    case PluginKind::storage: return stack_.storage.has_value();
    case PluginKind::network: return stack_.network.has_value();
    case PluginKind::runtime: return stack_.runtime.has_value();
    case PluginKind::scheduler: return stack_.scheduler.has_value();
    }
    return false;
  }();
  if (configured) {
    return {};
  }
  const std::string section(kind_name(kind));
  return sdk::make_error(sdk::Errc::invalid_argument,
                         "the stack has no '" + section +
                             "' section; add one (see docs/stack.md "
                             "and examples/stacks/) or pass --stack FILE",
                         stack_.source);
}

// Whichever command comes first makes the root 0710 (Docker's): image
// layers hold setuid binaries and device nodes, berth.db every container's
// environment. A looser root from an older berth is tightened, with a word.
sdk::Result<void> Engine::prepare_root() {
  if (root_ready_) {
    return {};
  }
  auto narrowed = make_private_dir(stack_.root, 0710);
  if (!narrowed.ok()) {
    return std::move(narrowed).error();
  }
  if (*narrowed) {
    make_logger("engine")->warn("the state root " + stack_.root.string() +
                                " was open to other users; tightened its mode " + **narrowed);
  }
  root_ready_ = true;
  return {};
}

sdk::Result<ImageService *> Engine::images() {
  if (images_) {
    return images_.get();
  }
  if (auto configured = require_section(PluginKind::storage); !configured.ok()) {
    return std::move(configured).error();
  }
  const auto &choice = *stack_.storage;
  if (auto ready = prepare_root(); !ready.ok()) {
    return std::move(ready).error();
  }
  try {
    auto host = std::make_shared<CoreHostServices>(choice.plugin, stack_.root);
    auto driver = registry_.create<sdk::StorageDriver>(choice.plugin, choice.options, host);
    if (!driver.ok()) {
      auto error = std::move(driver).error();
      error.message = "storage driver '" + choice.plugin + "' cannot run: " + error.message;
      return error;
    }
    images_ = std::make_unique<ImageService>(stack_.root, std::move(driver).value(), choice.plugin);
    // rmi and prune must see containers even when this command made none.
    if (stack_.runtime) {
      images_->set_image_users([this](const std::string &id) {
        auto service = containers();
        return service.ok() ? (*service)->image_users(id) : std::vector<std::string>{};
      });
    }
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), stack_.root.string());
  }
  return images_.get();
}

sdk::Result<RuntimeBackendInfo> Engine::runtime_backend(const std::string &name) const {
  if (auto configured = require_section(PluginKind::runtime); !configured.ok()) {
    return std::move(configured).error();
  }
  const auto &section = *stack_.runtime;
  const auto wanted = name.empty() ? section.default_backend : name;
  auto found = section.backends.find(wanted);
  if (found == section.backends.end()) {
    std::vector<std::string> names;
    for (const auto &[backend, choice] : section.backends) {
      names.push_back(backend);
    }
    return sdk::make_error(sdk::Errc::not_found,
                           "unknown runtime '" + wanted + "' (the stack has: " + join(names, ", ") +
                               ")" + did_you_mean(wanted, names),
                           "--runtime");
  }
  const auto *entry = registry_.find(found->second.plugin);
  if (entry == nullptr || entry->status != PluginStatus::loaded) {
    return sdk::make_error(sdk::Errc::unavailable,
                           "runtime '" + wanted + "' cannot run here: " +
                               (entry != nullptr ? entry->reason : "plugin not found"),
                           "--runtime");
  }
  return RuntimeBackendInfo{wanted, found->second.plugin, entry->file, found->second.options};
}

sdk::Result<std::shared_ptr<sdk::IsolationBackend>>
Engine::make_runtime(const RuntimeBackendInfo &info) const {
  auto host = std::make_shared<CoreHostServices>(info.plugin, stack_.root);
  auto backend = registry_.create<sdk::IsolationBackend>(info.plugin, info.options, host);
  if (!backend.ok()) {
    auto error = std::move(backend).error();
    error.message = "runtime '" + info.backend + "' cannot run: " + error.message;
    return error;
  }
  return backend;
}

sdk::Result<NetworkService *> Engine::networks() {
  if (networks_) {
    return networks_.get();
  }
  if (auto configured = require_section(PluginKind::network); !configured.ok()) {
    return std::move(configured).error();
  }
  auto environment = network_environment(stack_.root);
  environment.default_network = stack_.network->default_network;
  for (const auto &entry : stack_.network->networks) {
    environment.predefined.push_back({entry.name, entry.driver.plugin, entry.driver.options,
                                      entry.subnet, entry.gateway, entry.internal});
  }
  if (auto ready = prepare_root(); !ready.ok()) {
    return std::move(ready).error();
  }
  try {
    networks_ = std::make_unique<NetworkService>(std::move(environment));
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), stack_.root.string());
  }
  return networks_.get();
}

NetworkEnvironment Engine::network_environment(const std::filesystem::path &root) const {
  NetworkEnvironment environment;
  environment.root = root;
  auto drivers = std::make_shared<std::map<std::string, NetworkDriverHandle>>();
  environment.driver = [this, drivers,
                        root](const std::string &plugin,
                              const std::string &) -> sdk::Result<NetworkDriverHandle> {
    if (auto cached = drivers->find(plugin); cached != drivers->end()) {
      return cached->second;
    }
    if (auto usable = network_plugin(plugin); !usable.ok()) {
      return std::move(usable).error();
    }
    auto host = std::make_shared<CoreHostServices>(plugin, root);
    auto driver = registry_.create<sdk::NetworkDriver>(plugin, nlohmann::json::object(), host);
    if (!driver.ok()) {
      auto error = std::move(driver).error();
      error.message = "network driver '" + plugin + "' cannot run: " + error.message;
      return error;
    }
    NetworkDriverHandle handle{std::move(driver).value(), registry_.find(plugin)->file.string()};
    drivers->emplace(plugin, handle);
    return handle;
  };
  environment.validate_options = [this](const std::string &plugin, const nlohmann::json &options) {
    return network_options(plugin, options);
  };
  return environment;
}

sdk::Result<const PluginEntry *> Engine::network_plugin(const std::string &plugin) const {
  const auto *entry = registry_.find(plugin);
  const auto names = registry_.plugin_names(PluginKind::network);
  if (entry == nullptr || !entry->info || entry->info->kind != PluginKind::network) {
    return sdk::make_error(sdk::Errc::not_found,
                           "no network driver named '" + plugin + "' (have: " + join(names, ", ") +
                               ")" + did_you_mean(plugin, names),
                           "--driver");
  }
  if (entry->status != PluginStatus::loaded) {
    return sdk::make_error(sdk::Errc::unavailable,
                           "network driver '" + plugin + "' cannot run here: " + entry->reason,
                           "--driver");
  }
  return entry;
}

sdk::Result<nlohmann::json> Engine::network_options(const std::string &plugin,
                                                    const nlohmann::json &options) const {
  auto entry = network_plugin(plugin);
  if (!entry.ok()) {
    return std::move(entry).error();
  }
  return checked_options(*(*entry)->info, options, "-o");
}

sdk::Result<ContainerService *> Engine::containers() {
  if (containers_) {
    return containers_.get();
  }
  auto images = this->images();
  if (!images.ok()) {
    return std::move(images).error();
  }
  if (auto configured = require_section(PluginKind::runtime); !configured.ok()) {
    return std::move(configured).error();
  }
  ContainerEnvironment environment;
  environment.root = stack_.root;
  environment.helper_dir = options_.helper_dir;
  environment.storage_driver = stack_.storage->plugin;
  environment.runtime_info = [this](const std::string &name) { return runtime_backend(name); };
  environment.make_runtime = [this](const RuntimeBackendInfo &info) { return make_runtime(info); };
  if (stack_.network) {
    auto networks = this->networks();
    if (!networks.ok()) {
      return std::move(networks).error();
    }
    environment.networks = *networks;
  }
  environment.remove_command = {(options_.helper_dir / "berth").string(), "--root",
                                stack_.root.string()};
  if (auto file = choose_stack_file(options_)) {
    environment.remove_command.emplace_back("--stack");
    environment.remove_command.push_back(std::filesystem::absolute(*file).string());
  }
  environment.remove_command.insert(environment.remove_command.end(), {"rm", "-f", "-v"});
  try {
    auto service = std::make_unique<ContainerService>(std::move(environment), **images);
    service->recover_after_reboot();
    containers_ = std::move(service);
  } catch (const std::exception &e) {
    return sdk::make_error(sdk::Errc::io, e.what(), stack_.root.string());
  }
  return containers_.get();
}

std::string Engine::chosen_plugin(PluginKind kind) const {
  switch (kind) {
  case PluginKind::storage: return stack_.storage ? stack_.storage->plugin : "";
  case PluginKind::runtime:
    return stack_.runtime ? stack_.runtime->backends.at(stack_.runtime->default_backend).plugin
                          : "";
  case PluginKind::network: {
    if (!stack_.network) {
      return "";
    }
    for (const auto &network : stack_.network->networks) {
      if (network.name == stack_.network->default_network) {
        return network.driver.plugin;
      }
    }
    return "";
  }
  case PluginKind::scheduler:
    return stack_.scheduler ? "profile " + stack_.scheduler->profiles.front().name : "";
  }
  return "";
}

} // namespace berth
