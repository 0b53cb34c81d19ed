// The effective stack as YAML, for `berth config show`.
#include "config/stack.hpp"

#include <yaml-cpp/yaml.h>

namespace berth {
namespace {

void emit_json(YAML::Emitter &out, const nlohmann::json &value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto &[key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      emit_json(out, item);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto &item : value) {
      emit_json(out, item);
    }
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << value.get<std::string>();
  } else if (value.is_boolean()) {
    out << value.get<bool>();
  } else if (value.is_number_integer()) {
    out << value.get<std::int64_t>();
  } else if (value.is_number()) {
    out << value.get<double>();
  } else {
    out << YAML::Null;
  }
}

void emit_options(YAML::Emitter &out, const nlohmann::json &options) {
  out << YAML::Key << "options" << YAML::Value;
  if (options.empty()) {
    out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  } else {
    emit_json(out, options);
  }
}

void emit_runtime(YAML::Emitter &out, const RuntimeSection &runtime) {
  out << YAML::Key << "runtime" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "default" << YAML::Value << runtime.default_backend;
  out << YAML::Key << "backends" << YAML::Value << YAML::BeginMap;
  for (const auto &[name, backend] : runtime.backends) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "plugin" << YAML::Value << backend.plugin;
    emit_options(out, backend.options);
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
}

void emit_network(YAML::Emitter &out, const NetworkSection &network) {
  out << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "default" << YAML::Value << network.default_network;
  out << YAML::Key << "networks" << YAML::Value << YAML::BeginSeq;
  for (const auto &entry : network.networks) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << entry.name;
    out << YAML::Key << "driver" << YAML::Value << entry.driver.plugin;
    if (!entry.subnet.empty()) {
      out << YAML::Key << "subnet" << YAML::Value << entry.subnet;
    }
    if (!entry.gateway.empty()) {
      out << YAML::Key << "gateway" << YAML::Value << entry.gateway;
    }
    if (entry.internal) {
      out << YAML::Key << "internal" << YAML::Value << true;
    }
    emit_options(out, entry.driver.options);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

void emit_profile(YAML::Emitter &out, const SchedulerProfile &profile) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << profile.name;
  out << YAML::Key << "percentageOfNodesToScore" << YAML::Value
      << profile.percentage_of_nodes_to_score;
  out << YAML::Key << "filters" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto &filter : profile.filters) {
    out << filter.plugin;
  }
  out << YAML::EndSeq << YAML::Key << "scores" << YAML::Value << YAML::BeginSeq;
  for (const auto &score : profile.scores) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "plugin" << YAML::Value
        << score.plugin.plugin << YAML::Key << "weight" << YAML::Value << score.weight
        << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::Key << "args" << YAML::Value << YAML::BeginMap;
  auto emit_args = [&out](const PluginChoice &choice) {
    out << YAML::Key << choice.plugin << YAML::Value;
    if (choice.options.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
    } else {
      emit_json(out, choice.options);
    }
  };
  std::vector<std::string> done;
  for (const auto &filter : profile.filters) {
    emit_args(filter);
    done.push_back(filter.plugin);
  }
  for (const auto &score : profile.scores) {
    if (std::find(done.begin(), done.end(), score.plugin.plugin) == done.end()) {
      emit_args(score.plugin);
      done.push_back(score.plugin.plugin);
    }
  }
  out << YAML::EndMap << YAML::EndMap;
}

} // namespace

std::string stack_to_yaml(const Stack &stack) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "berth/v1";
  out << YAML::Key << "kind" << YAML::Value << "Stack";
  out << YAML::Key << "root" << YAML::Value << stack.root.string();
  out << YAML::Key << "plugins" << YAML::Value << YAML::BeginMap << YAML::Key << "paths"
      << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto &path : stack.plugin_paths) {
    out << path.string();
  }
  out << YAML::EndSeq << YAML::EndMap;
  // A section the stack does not have is written as null: read again, the
  // file is merged over the built-in default, which would bring it back.
  const auto absent = [&out](const char *section) {
    out << YAML::Key << section << YAML::Value << YAML::Null;
  };
  if (stack.storage) {
    out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "driver" << YAML::Value << stack.storage->plugin;
    emit_options(out, stack.storage->options);
    out << YAML::EndMap;
  } else {
    absent("storage");
  }
  if (stack.runtime) {
    emit_runtime(out, *stack.runtime);
  } else {
    absent("runtime");
  }
  if (stack.network) {
    emit_network(out, *stack.network);
  } else {
    absent("network");
  }
  if (!stack.scheduler) {
    absent("scheduler");
  } else {
    out << YAML::Key << "scheduler" << YAML::Value << YAML::BeginMap << YAML::Key << "profiles"
        << YAML::Value << YAML::BeginSeq;
    for (const auto &profile : stack.scheduler->profiles) {
      emit_profile(out, profile);
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  static constexpr const char *kLevels[] = {"trace", "debug", "info", "warn", "error"};
  out << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << kLevels[static_cast<int>(stack.logging.level)];
  out << YAML::Key << "format" << YAML::Value
      << (stack.logging.format == LogFormat::json ? "json" : "text");
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

} // namespace berth
