#include "sched/profile.hpp"

#include "plugin/host_services.hpp"

#include <map>

namespace berth {
namespace {

class ProfileBuilder {
public:
  ProfileBuilder(std::string stack_file, const PluginRegistry &registry,
                 std::filesystem::path state_root, Diagnostic *problem)
      : stack_file_(std::move(stack_file)), registry_(registry), state_root_(std::move(state_root)),
        problem_(problem) {}

  // The one instance of choice.plugin, created on first use.
  sdk::Result<sdk::SchedulerPlugin *> instance(const PluginChoice &choice, Profile &profile) {
    if (auto it = by_name_.find(choice.plugin); it != by_name_.end()) {
      return it->second;
    }
    auto host = std::make_shared<CoreHostServices>(choice.plugin, state_root_);
    auto made = registry_.create<sdk::SchedulerPlugin>(choice.plugin, choice.options, host);
    if (!made.ok()) {
      return located(choice, made.error().message);
    }
    auto *plugin = made->get();
    profile.instances.push_back(std::move(made).value());
    by_name_[choice.plugin] = plugin;
    return plugin;
  }

  sdk::Error located(const PluginChoice &choice, const std::string &message) const {
    Diagnostic diagnostic{stack_file_, choice.plugin_at, choice.path, message};
    if (problem_ != nullptr) {
      *problem_ = diagnostic;
    }
    return sdk::make_error(sdk::Errc::invalid_argument, diagnostic.to_string());
  }

private:
  std::string stack_file_;
  const PluginRegistry &registry_;
  std::filesystem::path state_root_;
  std::map<std::string, sdk::SchedulerPlugin *> by_name_;
  Diagnostic *problem_;
};

bool has(const sdk::SchedulerPlugin *plugin, sdk::ExtensionPoint point) {
  return (plugin->extension_points() & point) != 0U;
}

void add_once(std::vector<sdk::SchedulerPlugin *> &list, sdk::SchedulerPlugin *plugin) {
  if (std::find(list.begin(), list.end(), plugin) == list.end()) {
    list.push_back(plugin);
  }
}

} // namespace

sdk::Result<Profile> build_profile(const SchedulerProfile &config, const std::string &stack_file,
                                   const PluginRegistry &registry,
                                   const std::filesystem::path &state_root, Diagnostic *problem) {
  Profile profile;
  profile.name = config.name;
  profile.percentage_of_nodes_to_score = config.percentage_of_nodes_to_score;
  ProfileBuilder builder(stack_file, registry, state_root, problem);
  for (const auto &choice : config.filters) {
    auto plugin = builder.instance(choice, profile);
    if (!plugin.ok()) {
      return std::move(plugin).error();
    }
    if (!has(*plugin, sdk::kFilter)) {
      return builder.located(choice, "'" + choice.plugin +
                                         "' is not a filter plugin; list it "
                                         "under scores instead");
    }
    add_once(profile.filters, *plugin);
  }
  for (const auto &score : config.scores) {
    auto plugin = builder.instance(score.plugin, profile);
    if (!plugin.ok()) {
      return std::move(plugin).error();
    }
    if (!has(*plugin, sdk::kScore)) {
      return builder.located(score.plugin, "'" + score.plugin.plugin +
                                               "' is not a score plugin; list it under filters "
                                               "instead");
    }
    profile.scores.push_back({*plugin, score.weight, has(*plugin, sdk::kNormalize)});
    if (has(*plugin, sdk::kPreScore)) {
      add_once(profile.pre_scores, *plugin);
    }
  }
  for (const auto &instance : profile.instances) {
    const bool filters = std::find(profile.filters.begin(), profile.filters.end(),
                                   instance.get()) != profile.filters.end();
    if (has(instance.get(), sdk::kPreFilter)) {
      (filters ? profile.pre_filters : profile.score_pre_filters).push_back(instance.get());
    }
    if (has(instance.get(), sdk::kReserve)) {
      profile.reservers.push_back(instance.get());
    }
  }
  return profile;
}

} // namespace berth
