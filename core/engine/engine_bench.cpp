// Engine::bench: which plugins a `berth bench` run measures, with which
// options, and the run itself.
#include "bench/bench_support.hpp"
#include "bench/network_suite.hpp"
#include "bench/runtime_suite.hpp"
#include "bench/storage_suite.hpp"
#include "container/monitor.hpp"
#include "engine/engine.hpp"
#include "util/text.hpp"

#include <sstream>

namespace berth {
namespace {

std::optional<PluginKind> suite_kind(const std::string &suite) {
  if (suite == "storage") {
    return PluginKind::storage;
  }
  if (suite == "network") {
    return PluginKind::network;
  }
  if (suite == "runtime") {
    return PluginKind::runtime;
  }
  return std::nullopt;
}

nlohmann::json parameters_of(const bench::BenchRequest &request) {
  nlohmann::json parameters = {{"repeat", request.repeat}};
  if (request.suite == "storage") {
    parameters["image"] = request.image.empty() ? "generated" : request.image;
    parameters["size_mib"] = request.size_mib;
    parameters["files"] = request.files;
    parameters["containers"] = request.containers;
  } else if (request.suite == "network") {
    parameters["duration_s"] = request.duration;
    parameters["attaches"] = request.repeat * bench::kAttachesPerRepeat;
  } else {
    parameters["containers"] = request.containers;
  }
  return parameters;
}

// What --drivers and --backends name: "NAME" or "NAME:key=value:...", a
// plugin (or runtime backend) with options over the stack's, so that one
// plugin can be measured beside itself under other options.
struct SubjectSpec {
  std::string name;
  nlohmann::json options = nlohmann::json::object();
};

sdk::Result<SubjectSpec> parse_subject_spec(const std::string &text, const std::string &flag) {
  SubjectSpec spec;
  std::istringstream parts(text);
  std::getline(parts, spec.name, ':');
  std::string option;
  while (std::getline(parts, option, ':')) {
    const auto equals = option.find('=');
    if (equals == std::string::npos || equals == 0) {
      return sdk::make_error(sdk::Errc::invalid_argument,
                             "'" + text + "' is not NAME or NAME:key=value[:key=value...]", flag);
    }
    spec.options[option.substr(0, equals)] = option_from_text(option.substr(equals + 1));
  }
  return spec;
}

// base with the spec's options over it, checked against the plugin's schema
// when the plugin loaded (one that did not is reported as skipped).
sdk::Result<nlohmann::json> subject_options(const PluginEntry &entry, nlohmann::json base,
                                            const SubjectSpec &spec, const std::string &flag) {
  base.update(spec.options);
  if (!entry.info) {
    return base;
  }
  auto checked = checked_options(*entry.info, base, flag);
  if (!checked.ok()) {
    return std::move(checked).error();
  }
  return base; // the report fills the defaults in itself
}

sdk::Result<void> check_request(const bench::BenchRequest &request) {
  if (!suite_kind(request.suite)) {
    return sdk::make_error(sdk::Errc::invalid_argument,
                           "unknown suite '" + request.suite + "'; use storage, network or runtime",
                           "berth bench");
  }
  const std::vector<std::pair<std::string, double>> counts = {
      {"--repeat", request.repeat},
      {"--files", request.files},
      {"--containers", request.containers},
      {"--size", static_cast<double>(request.size_mib)},
      {"--duration", request.duration}};
  for (const auto &[flag, value] : counts) {
    if (value <= 0) {
      std::ostringstream shown;
      shown << value;
      return sdk::make_error(sdk::Errc::invalid_argument,
                             flag + " " + shown.str() + " must be positive; see 'berth bench " +
                                 request.suite + " --help'",
                             "berth bench " + request.suite);
    }
  }
  return {};
}

} // namespace

sdk::Result<bench::BenchSubject> Engine::runtime_subject(const std::string &text) const {
  auto spec = parse_subject_spec(text, "--backends");
  if (!spec.ok()) {
    return std::move(spec).error();
  }
  const auto &name = spec->name;
  std::string plugin = name;
  auto options = nlohmann::json::object();
  bool known = false;
  if (stack_.runtime) {
    if (auto found = stack_.runtime->backends.find(name); found != stack_.runtime->backends.end()) {
      plugin = found->second.plugin;
      options = found->second.options;
      known = true;
    }
  }
  const auto plugins = registry_.plugin_names(PluginKind::runtime);
  known = known || std::find(plugins.begin(), plugins.end(), name) != plugins.end();
  if (!known) {
    std::vector<std::string> names = plugins;
    if (stack_.runtime) {
      for (const auto &[backend, choice] : stack_.runtime->backends) {
        names.push_back(backend);
      }
    }
    return sdk::make_error(sdk::Errc::not_found,
                           "no runtime backend or plugin named '" + name +
                               "' (have: " + join(names, ", ") + ")" + did_you_mean(name, names),
                           "--backends");
  }
  auto checked = subject_options(*registry_.find(plugin), options, *spec, "--backends " + text);
  if (!checked.ok()) {
    return std::move(checked).error();
  }
  return bench::BenchSubject{text, plugin, std::move(checked).value(), ""};
}

sdk::Result<bench::BenchSubject> Engine::driver_subject(PluginKind kind,
                                                        const std::string &text) const {
  auto spec = parse_subject_spec(text, "--drivers");
  if (!spec.ok()) {
    return std::move(spec).error();
  }
  const auto &name = spec->name;
  const auto known = registry_.plugin_names(kind);
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    return sdk::make_error(sdk::Errc::not_found,
                           "no " + std::string(kind_name(kind)) + " plugin named '" + name +
                               "' (have: " + join(known, ", ") + ")" + did_you_mean(name, known),
                           "--drivers");
  }
  // The options the stack gives the driver, where it names it.
  auto options = nlohmann::json::object();
  if (kind == PluginKind::storage && stack_.storage && stack_.storage->plugin == name) {
    options = stack_.storage->options;
  }
  if (kind == PluginKind::network && stack_.network) {
    for (const auto &entry : stack_.network->networks) {
      if (entry.driver.plugin == name) {
        options = entry.driver.options;
        break;
      }
    }
  }
  auto checked = subject_options(*registry_.find(name), options, *spec, "--drivers " + text);
  if (!checked.ok()) {
    return std::move(checked).error();
  }
  return bench::BenchSubject{text, name, std::move(checked).value(), ""};
}

std::vector<std::string> Engine::default_bench_names(PluginKind kind) const {
  if (kind != PluginKind::runtime || !stack_.runtime) {
    return registry_.plugin_names(kind);
  }
  std::vector<std::string> names;
  for (const auto &[backend, choice] : stack_.runtime->backends) {
    names.push_back(backend);
  }
  return names;
}

// The subject as the report shows it: version, options with defaults, and
// "skipped" for a plugin that cannot run here.
bench::Subject Engine::shown_subject(const bench::BenchSubject &subject) const {
  const auto *entry = registry_.find(subject.plugin);
  bench::Subject shown;
  shown.name = subject.name;
  shown.plugin = subject.plugin;
  shown.version = entry->info ? entry->info->version : "";
  shown.options =
      entry->info ? with_defaults(entry->info->options, subject.options) : subject.options;
  if (entry->status != PluginStatus::loaded) {
    shown.status = "skipped";
    shown.reason = entry->reason;
  }
  return shown;
}

sdk::Result<std::vector<bench::BenchSubject>>
Engine::bench_subjects(const bench::BenchRequest &request, bench::Report &report) const {
  const auto kind = *suite_kind(request.suite);
  const auto names = request.subjects.empty() ? default_bench_names(kind) : request.subjects;
  std::vector<bench::BenchSubject> subjects;
  for (const auto &name : names) {
    auto subject = kind == PluginKind::runtime ? runtime_subject(name) : driver_subject(kind, name);
    if (!subject.ok()) {
      return std::move(subject).error();
    }
    report.subjects.push_back(shown_subject(*subject));
    subject->key = std::to_string(report.subjects.size()) + "-" + subject->plugin;
    if (report.subjects.back().status == "ok") {
      subjects.push_back(std::move(subject).value());
    }
  }
  return subjects;
}

sdk::Result<bench::Report> Engine::bench(const bench::BenchRequest &request,
                                         const Progress &progress) {
  if (auto checked = check_request(request); !checked.ok()) {
    return std::move(checked).error();
  }
  bench::Report report;
  report.suite = request.suite;
  report.started_at = rfc3339_now();
  report.parameters = parameters_of(request);
  auto subjects = bench_subjects(request, report);
  if (!subjects.ok()) {
    return std::move(subjects).error();
  }
  if (auto entered = bench::enter_private_namespaces(); !entered.ok()) {
    return std::move(entered).error();
  }
  auto scratch = bench::ScratchDir::make(request.scratch_parent);
  if (!scratch.ok()) {
    return std::move(scratch).error();
  }
  report.machine = bench::probe_machine(scratch->path(), request.berth_version);
  std::filesystem::path archive;
  if (request.suite == "storage" && !request.image.empty()) {
    auto images = this->images();
    archive = scratch->path() / "image.tar";
    auto saved = images.ok() ? (*images)->save({request.image}, archive, {})
                             : sdk::Result<void>(std::move(images).error());
    if (!saved.ok()) {
      auto error = std::move(saved).error();
      error.context = "--image " + request.image;
      return error;
    }
  }
  bench::SuiteRun run{registry_,
                      request,
                      scratch->path(),
                      archive,
                      progress,
                      [this](const std::filesystem::path &root) { return network_environment(root); },
                      report};
  if (request.suite == "storage") {
    bench::run_storage_suite(run, *subjects);
  } else if (request.suite == "network") {
    bench::run_network_suite(run, *subjects);
  } else {
    bench::run_runtime_suite(run, *subjects);
  }
  if (bench::interrupted()) {
    return sdk::make_error(sdk::Errc::cancelled,
                           "interrupted; everything the benchmark made is removed",
                           "berth bench " + request.suite);
  }
  return report;
}

} // namespace berth
