// A scheduling profile made real: the stack's filters and weighted scores as
// plugin instances, one instance per plugin however many roles it plays.
#pragma once

#include "config/stack.hpp"
#include "plugin/registry.hpp"

#include <berth/sdk/scheduler.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace berth {

struct WeightedScore {
  sdk::SchedulerPlugin *plugin = nullptr;
  std::int64_t weight = 1;
  bool normalizes = false;
};

struct Profile {
  std::string name;
  int percentage_of_nodes_to_score = 0;                         // 0: Kubernetes' adaptive default
  std::vector<std::shared_ptr<sdk::SchedulerPlugin>> instances; // owns every plugin
  std::vector<sdk::SchedulerPlugin *> pre_filters; // of filter plugins: errors rule the pod out
  // PreFilter of plugins listed only as scores: they gather state for
  // scoring, and their errors cannot make a pod unschedulable.
  std::vector<sdk::SchedulerPlugin *> score_pre_filters;
  std::vector<sdk::SchedulerPlugin *> filters;
  std::vector<sdk::SchedulerPlugin *> pre_scores;
  std::vector<WeightedScore> scores;
  std::vector<sdk::SchedulerPlugin *> reservers;
};

// Creates the profile's plugins. A filter without a Filter extension point
// (or a score without Score), or a plugin that refuses its options, is an
// error located at its place in the stack; problem, if given, receives it.
sdk::Result<Profile> build_profile(const SchedulerProfile &config, const std::string &stack_file,
                                   const PluginRegistry &registry,
                                   const std::filesystem::path &state_root,
                                   Diagnostic *problem = nullptr);

} // namespace berth
