#include "bench/bench_report.hpp"

#include "bench/bench_format.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace berth::bench {

Summary summarize(std::vector<double> samples) {
  Summary summary;
  if (samples.empty())
    return summary;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  summary.runs = n;
  summary.min = samples.front();
  summary.max = samples.back();
  summary.median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  // Nearest rank: the ceil(0.99 n)-th smallest, in integers to avoid 0.99 * n rounding down.
  const std::size_t rank = (99 * n + 99) / 100;
  summary.p99 = samples[rank - 1];
  return summary;
}

const Measurement *Report::find(const std::string &workload, const std::string &subject) const {
  for (const auto &measurement : measurements)
    if (measurement.workload == workload && measurement.subject == subject)
      return &measurement;
  return nullptr;
}

// ---- JSON ------------------------------------------------------------------

namespace {

using nlohmann::json;

json machine_json(const MachineFacts &machine) {
  return {{"kernel", machine.kernel},
          {"os", machine.os},
          {"cpu_model", machine.cpu_model},
          {"cores", machine.cores},
          {"memory_bytes", machine.memory_bytes},
          {"filesystem", machine.filesystem},
          {"cgroup", machine.cgroup},
          {"berth_version", machine.berth_version}};
}

json workload_json(const Workload &workload) {
  return {{"id", workload.id},
          {"title", workload.title},
          {"unit", workload.unit},
          {"better", better_name(workload.better)}};
}

json subject_json(const Subject &subject) {
  return {{"name", subject.name},       {"plugin", subject.plugin}, {"version", subject.version},
          {"options", subject.options}, {"status", subject.status}, {"reason", subject.reason},
          {"peer", subject.peer}};
}

json summary_json(const Summary &summary) {
  return {{"runs", summary.runs},
          {"median", summary.median},
          {"min", summary.min},
          {"max", summary.max},
          {"p99", summary.p99}};
}

json measurement_json(const Measurement &measurement) {
  json out = {{"workload", measurement.workload},
              {"subject", measurement.subject},
              {"samples", measurement.samples}};
  if (!measurement.samples.empty())
    out["summary"] = summary_json(summarize(measurement.samples));
  if (!measurement.error.empty())
    out["error"] = measurement.error;
  if (!measurement.unsupported.empty())
    out["unsupported"] = measurement.unsupported;
  return out;
}

} // namespace

json to_json(const Report &report) {
  json out = {{"suite", report.suite},
              {"started_at", report.started_at},
              {"machine", machine_json(report.machine)},
              {"parameters", report.parameters},
              {"workloads", json::array()},
              {"subjects", json::array()},
              {"measurements", json::array()}};
  for (const auto &workload : report.workloads)
    out["workloads"].push_back(workload_json(workload));
  for (const auto &subject : report.subjects)
    out["subjects"].push_back(subject_json(subject));
  for (const auto &measurement : report.measurements)
    out["measurements"].push_back(measurement_json(measurement));
  return out;
}

// ---- Peers -----------------------------------------------------------------

namespace {

using Error = std::optional<std::string>;

// What a peers file adds, read in full before the report is touched so that
// a bad file leaves no half-merged report behind.
struct PeerFile {
  std::vector<Subject> subjects;
  std::vector<Measurement> measurements;
};

std::string element(const std::string &array, std::size_t index) {
  return array + "[" + std::to_string(index) + "]";
}

Error read_string(const json &object, const char *key, const std::string &where, std::string &out) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string())
    return where + "." + key + ": expected a string";
  out = it->get<std::string>();
  return std::nullopt;
}

Error read_text(const json &object, const char *key, const std::string &where, std::string &out) {
  if (auto error = read_string(object, key, where, out))
    return error;
  if (out.empty())
    return where + "." + key + ": expected a non-empty string";
  return std::nullopt;
}

Error read_samples(const json &samples, const std::string &where, std::vector<double> &out) {
  if (!samples.is_array() || samples.empty())
    return where + ": expected numbers";
  for (const auto &sample : samples) {
    if (!sample.is_number())
      return where + ": expected numbers";
    out.push_back(sample.get<double>());
  }
  return std::nullopt;
}

Error read_peer_subject(const json &item, const std::string &where, Subject &subject) {
  if (!item.is_object())
    return where + ": expected an object";
  if (auto error = read_text(item, "name", where, subject.name))
    return error;
  if (auto error = read_string(item, "version", where, subject.version))
    return error;
  if (item.contains("options")) {
    if (!item["options"].is_object())
      return where + ".options: expected an object";
    subject.options = item["options"];
  }
  subject.peer = true;
  return std::nullopt;
}

Error read_peer_subjects(const json &peers, const Report &report, PeerFile &file) {
  const auto it = peers.find("subjects");
  if (it == peers.end() || !it->is_array())
    return std::string("subjects: expected an array");
  std::set<std::string> taken;
  for (const auto &subject : report.subjects)
    taken.insert(subject.name);
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string where = element("subjects", i);
    Subject subject;
    if (auto error = read_peer_subject((*it)[i], where, subject))
      return error;
    if (!taken.insert(subject.name).second)
      return where + ".name: there is already a subject named '" + subject.name + "'";
    file.subjects.push_back(std::move(subject));
  }
  return std::nullopt;
}

// Exactly one of samples, error or unsupported, as in Measurement.
Error read_peer_outcome(const json &item, const std::string &where, Measurement &measurement) {
  const int outcomes = static_cast<int>(item.contains("samples")) +
                       static_cast<int>(item.contains("error")) +
                       static_cast<int>(item.contains("unsupported"));
  if (outcomes == 0)
    return where + ": expected samples, error or unsupported";
  if (outcomes > 1)
    return where + ": expected only one of samples, error or unsupported";
  if (item.contains("samples"))
    return read_samples(item["samples"], where + ".samples", measurement.samples);
  if (item.contains("error"))
    return read_text(item, "error", where, measurement.error);
  return read_text(item, "unsupported", where, measurement.unsupported);
}

Error read_peer_measurement(const json &item, const std::string &where, const PeerFile &file,
                            Measurement &measurement) {
  if (!item.is_object())
    return where + ": expected an object";
  if (auto error = read_text(item, "workload", where, measurement.workload))
    return error;
  if (auto error = read_text(item, "subject", where, measurement.subject))
    return error;
  const bool known = std::any_of(file.subjects.begin(), file.subjects.end(),
                                 [&](const Subject &s) { return s.name == measurement.subject; });
  if (!known)
    return where + ".subject: '" + measurement.subject + "' is not a subject of the peers file";
  return read_peer_outcome(item, where, measurement);
}

Error read_peer_measurements(const json &peers, PeerFile &file) {
  const auto it = peers.find("measurements");
  if (it == peers.end() || !it->is_array())
    return std::string("measurements: expected an array");
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string where = element("measurements", i);
    Measurement measurement;
    if (auto error = read_peer_measurement((*it)[i], where, file, measurement))
      return error;
    // Report::find sees only the first of two, so a second would silently vanish.
    if (!seen.emplace(measurement.workload, measurement.subject).second)
      return where + ": a second measurement of " + measurement.workload + " on " +
             measurement.subject;
    file.measurements.push_back(std::move(measurement));
  }
  return std::nullopt;
}

Error read_peer_suite(const json &peers, const Report &report) {
  const auto it = peers.find("suite");
  if (it == peers.end())
    return std::nullopt;
  if (!it->is_string())
    return std::string("suite: expected a string");
  const auto suite = it->get<std::string>();
  if (suite != report.suite)
    return "peers file is for the " + suite + " suite, not " + report.suite;
  return std::nullopt;
}

} // namespace

std::optional<std::string> merge_peers(Report &report, const nlohmann::json &peers) {
  if (!peers.is_object())
    return std::string("peers file: expected a JSON object");
  PeerFile file;
  if (auto error = read_peer_suite(peers, report))
    return error;
  if (auto error = read_peer_subjects(peers, report, file))
    return error;
  if (auto error = read_peer_measurements(peers, file))
    return error;
  for (auto &subject : file.subjects)
    report.subjects.push_back(std::move(subject));
  // The peers script runs every workload it knows; this suite may have fewer.
  for (auto &measurement : file.measurements)
    if (find_workload(report, measurement.workload) != nullptr)
      report.measurements.push_back(std::move(measurement));
  return std::nullopt;
}

} // namespace berth::bench
