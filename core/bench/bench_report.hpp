// What `berth bench` measured, and the forms people read it in: a terminal
// table, Markdown, JSON for scripts and an SVG chart per workload.
//
// A report is one suite (storage, network or runtime) run against several
// subjects: berth's plugins, each with its version and options, and, merged
// from benchmarks/peers/, the peers' figures for the same workloads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::bench {

enum class Better { lower, higher };

// One workload of a suite: "apply_layers", shown as "apply the image's layers".
struct Workload {
  std::string id;
  std::string title;
  std::string unit; // "ms", "us", "MiB/s", "Gbit/s", "MiB", "containers/s"
  Better better = Better::lower;
};

// Something measured: a plugin (or a stack's backend of one), or a peer.
struct Subject {
  std::string name;    // the label in tables and charts: "overlay2", "oci", "podman"
  std::string plugin;  // the plugin it loads ("" for a peer)
  std::string version; // the plugin's, or the peer program's
  nlohmann::json options = nlohmann::json::object();
  std::string status = "ok"; // "ok", "failed" (it broke) or "skipped" (cannot run here)
  std::string reason;        // why failed or skipped
  bool peer = false;         // measured by benchmarks/peers, not by berth
};

// The runs of one workload for one subject, summarized.
struct Summary {
  std::size_t runs = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  double p99 = 0; // nearest rank
};

// Median, min, max and p99 of samples; runs == 0 when samples is empty.
Summary summarize(std::vector<double> samples);

// One cell: a workload on a subject. Exactly one of: samples (measured),
// error (the workload failed on this subject) or unsupported (the subject
// cannot do it by design, e.g. traffic on the none network driver).
struct Measurement {
  std::string workload; // Workload::id
  std::string subject;  // Subject::name
  std::vector<double> samples;
  std::string error;
  std::string unsupported; // why, when it does not apply
};

struct MachineFacts {
  std::string kernel;
  std::string os;        // PRETTY_NAME of /etc/os-release
  std::string cpu_model; // /proc/cpuinfo "model name"
  unsigned cores = 0;
  std::uint64_t memory_bytes = 0;
  std::string filesystem; // of the scratch directory: "ext4 on /var/tmp"
  std::string cgroup;     // as HostFacts says it
  std::string berth_version;
};

struct Report {
  std::string suite;      // "storage", "network", "runtime"
  std::string started_at; // UTC, ISO 8601
  MachineFacts machine;
  nlohmann::json parameters = nlohmann::json::object(); // {"repeat": 5, "size_mib": 64, ...}
  std::vector<Workload> workloads;
  std::vector<Subject> subjects;
  std::vector<Measurement> measurements;

  [[nodiscard]] const Measurement *find(const std::string &workload,
                                        const std::string &subject) const;
};

// The JSON form (documented in docs/benchmarks.md); every measurement
// carries its summary beside its samples.
nlohmann::json to_json(const Report &report);

// Adds the subjects and measurements of a peers file (the JSON that
// benchmarks/peers/bench-peers.sh writes: {"suite", "subjects", "measurements"}),
// marked as peers. Measurements of workloads the report does not have are
// dropped. A malformed file is an error naming what is wrong in it, and the
// report is left untouched. The file is a JSON object in which:
// - "suite" may be left out; if given, it is a string equal to report.suite.
// - "subjects" is an array of objects, each with a non-empty string "name"
//   that no subject of the report or of the file already has, a string
//   "version" (which may be empty) and, if given, an object "options".
// - "measurements" is an array of objects, each with a non-empty string
//   "workload" and a non-empty string "subject" that names a subject of the
//   peers file (not one of berth's), and exactly one of "samples" (a
//   non-empty array of numbers), "error" or "unsupported" (each a non-empty
//   string). No two measurements have the same workload and subject.
std::optional<std::string> merge_peers(Report &report, const nlohmann::json &peers);

// A terminal table: a row per workload, a column per subject; each cell the
// median with min-max (or p99 for latencies with many runs) and the runs.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
Table to_table(const Report &report);

// A Markdown document: the machine, the parameters, the subjects with
// versions and options, then the table.
std::string to_markdown(const Report &report);

// A horizontal bar chart of one workload: a bar per subject at its median,
// a whisker from min to max, the value printed; failed subjects named.
// Standalone SVG 1.1, no scripts or external references.
std::string to_svg(const Report &report, const Workload &workload);

} // namespace berth::bench
