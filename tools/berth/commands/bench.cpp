// berth bench storage|network|runtime: the same workloads against each
// driver the stack can load, as a table, JSON or Markdown, with an SVG chart
// per workload written to --out.
#include "cli.hpp"
#include "output.hpp"
#include "progress.hpp"

#include "bench/bench_report.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

namespace berth::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitInterrupted = 130;

enum class ReportFormat { table, json, markdown };

ReportFormat report_format(const po::variables_map &vm) {
  const auto text = vm["format"].as<std::string>();
  if (text == "table") {
    return ReportFormat::table;
  }
  if (text == "json") {
    return ReportFormat::json;
  }
  if (text == "markdown") {
    return ReportFormat::markdown;
  }
  throw UsageError("invalid --format '" + text + "' (use table, json or markdown)");
}

std::vector<std::string> split_list(const std::string &text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) {
      items.push_back(item);
    }
  }
  return items;
}

void add_common_options(po::options_description &options) {
  options.add_options()("repeat", po::value<int>()->default_value(5), "runs of each workload")(
      "format", po::value<std::string>()->default_value("table"), "table, json or markdown")(
      "out", po::value<std::string>(),
      "also write report.json, report.md and an SVG chart per workload to this directory")(
      "peers", po::value<std::string>(),
      "merge the peers' figures from this file (benchmarks/peers/bench-peers.sh writes it)")(
      "scratch", po::value<std::string>()->default_value("/var/tmp"),
      "where the scratch directory goes (its filesystem is the one measured)");
}

// The peers file, read and checked before anything runs.
std::optional<nlohmann::json> read_peers(const po::variables_map &vm, const std::string &suite) {
  if (vm.count("peers") == 0U) {
    return std::nullopt;
  }
  const auto file = vm["peers"].as<std::string>();
  std::ifstream in(file);
  if (!in) {
    throw UsageError("--peers " + file + ": cannot read it; give the file bench-peers.sh wrote");
  }
  auto peers = nlohmann::json::parse(in, nullptr, false);
  if (peers.is_discarded()) {
    throw UsageError("--peers " + file + ": not JSON; give the file bench-peers.sh wrote");
  }
  bench::Report probe;
  probe.suite = suite;
  if (auto wrong = bench::merge_peers(probe, peers)) {
    throw UsageError("--peers " + file + ": " + *wrong);
  }
  return peers;
}

void write_text(const fs::path &file, const std::string &text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) {
    throw CommandError(file.string() + ": cannot write; check --out");
  }
}

void write_outputs(const bench::Report &report, const fs::path &dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw CommandError("--out " + dir.string() + ": " + ec.message());
  }
  write_text(dir / "report.json", bench::to_json(report).dump(2) + "\n");
  write_text(dir / "report.md", bench::to_markdown(report));
  for (const auto &workload : report.workloads) {
    write_text(dir / (report.suite + "-" + workload.id + ".svg"), bench::to_svg(report, workload));
  }
  std::cerr << "wrote report.json, report.md and " << report.workloads.size() << " charts to "
            << dir.string() << "\n";
}

void print_report(const bench::Report &report, ReportFormat format) {
  switch (format) {
  case ReportFormat::json: print_json(std::cout, bench::to_json(report)); break;
  case ReportFormat::markdown: std::cout << bench::to_markdown(report); break;
  case ReportFormat::table: {
    const auto table = bench::to_table(report);
    print_table(std::cout, table.header, table.rows);
    break;
  }
  }
}

// Failed subjects, or failed workloads of any, make the exit status 1,
// after the report is out.
int failures_of(const bench::Report &report) {
  std::vector<std::string> failed;
  for (const auto &subject : report.subjects) {
    if (subject.status == "failed") {
      failed.push_back(subject.name + " (" + subject.reason + ")");
    }
  }
  for (const auto &measurement : report.measurements) {
    const auto subject = std::find_if(report.subjects.begin(), report.subjects.end(),
                                      [&](const auto &s) { return s.name == measurement.subject; });
    if (!measurement.error.empty() &&
        (subject == report.subjects.end() || subject->status != "failed")) {
      failed.push_back(measurement.subject + " (" + measurement.workload + ": " +
                       measurement.error + ")");
    }
  }
  if (failed.empty()) {
    return kExitOk;
  }
  std::cerr << "berth: bench " << report.suite << ": " << failed.size()
            << (failed.size() == 1 ? " failure: " : " failures: ") << failed.front()
            << (failed.size() > 1 ? "; see the report for the others" : "") << "\n";
  return kExitFailure;
}

int run_suite(Context &context, bench::BenchRequest request, const po::variables_map &vm) {
  request.repeat = vm["repeat"].as<int>();
  request.scratch_parent = vm["scratch"].as<std::string>();
  request.berth_version = berth_version();
  const auto format = report_format(vm);
  const auto peers = read_peers(vm, request.suite);
  auto engine = context.open_engine(StackCheck::full);
  sdk::Result<bench::Report> report = sdk::make_error(sdk::Errc::internal, "not run");
  {
    ProgressLine progress(ProgressUnit::steps);
    report = engine->bench(request, progress.callback());
  }
  if (!report.ok()) {
    const int code = report.error().code == sdk::Errc::cancelled ? kExitInterrupted : kExitFailure;
    throw ExitError(report.error().describe(), code);
  }
  // Checked before the run, but a peer may share a name with a subject only
  // the run knew: then the report goes out without the peers, and says so.
  std::optional<std::string> peers_refused;
  if (peers) {
    peers_refused = bench::merge_peers(*report, *peers);
  }
  print_report(*report, format);
  if (vm.count("out") != 0U) {
    write_outputs(*report, vm["out"].as<std::string>());
  }
  const int code = failures_of(*report);
  if (peers_refused) {
    std::cerr << "berth: --peers " << vm["peers"].as<std::string>() << ": " << *peers_refused
              << "; the report above is without them\n";
    return kExitFailure;
  }
  return code;
}

int run_storage(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Storage benchmark options");
  options.add_options()("drivers", po::value<std::string>(),
                        "storage plugins to compare, comma-separated, each NAME or "
                        "NAME:key=value[:key=value...] (default: every one)")(
      "image", po::value<std::string>(),
      "an image of this engine to use (default: a generated one: busybox, the small files and "
      "one large file)")("size", po::value<std::uint64_t>()->default_value(64),
                         "MiB of the large file and of the sequential I/O")(
      "files", po::value<int>()->default_value(1000),
      "small files to create and delete")("containers", po::value<int>()->default_value(10),
                                          "containers of one image for the disk usage");
  add_common_options(options);
  auto parsed = parse_command(
      context, args, "bench storage [OPTIONS]",
      "Compare storage drivers: applying an image's layers, preparing root filesystems, "
      "commit, copy-up, metadata, sequential I/O against the host's filesystem, removal and "
      "disk usage.",
      options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto &vm = parsed.vm;
  bench::BenchRequest request;
  request.suite = "storage";
  if (vm.count("drivers") != 0U) {
    request.subjects = split_list(vm["drivers"].as<std::string>());
  }
  if (vm.count("image") != 0U) {
    request.image = vm["image"].as<std::string>();
  }
  request.size_mib = vm["size"].as<std::uint64_t>();
  request.files = vm["files"].as<int>();
  request.containers = vm["containers"].as<int>();
  return run_suite(context, request, vm);
}

int run_network(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Network benchmark options");
  options.add_options()("drivers", po::value<std::string>(),
                        "network plugins to compare, comma-separated, each NAME or "
                        "NAME:key=value[:key=value...], e.g. bridge,bridge:mtu=9000 "
                        "(default: every one)")("duration", po::value<double>()->default_value(2),
                                                "seconds of traffic per run");
  add_common_options(options);
  auto parsed = parse_command(
      context, args, "bench network [OPTIONS]",
      "Compare network drivers: endpoint attach + detach, TCP throughput container to "
      "container and to the host, request/response latency and a published port, with the "
      "built-in traffic generator (iperf3 as a cross-check when installed).",
      options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto &vm = parsed.vm;
  bench::BenchRequest request;
  request.suite = "network";
  if (vm.count("drivers") != 0U) {
    request.subjects = split_list(vm["drivers"].as<std::string>());
  }
  request.duration = vm["duration"].as<double>();
  return run_suite(context, request, vm);
}

int run_runtime(Context &context, const std::vector<std::string> &args) {
  po::options_description options("Runtime benchmark options");
  options.add_options()(
      "backends", po::value<std::string>(),
      "the stack's runtime backends (or runtime plugins) to compare, comma-separated, each "
      "NAME or NAME:key=value[:key=value...], e.g. oci:binary=runc (default: every backend of "
      "the stack)")("containers", po::value<int>()->default_value(10),
                    "containers started at once");
  add_common_options(options);
  auto parsed = parse_command(context, args, "bench runtime [OPTIONS]",
                              "Compare isolation backends: create + start + wait + delete of "
                              "/bin/true, and many containers started at once.",
                              options);
  if (parsed.help_shown) {
    return kExitOk;
  }
  const auto &vm = parsed.vm;
  bench::BenchRequest request;
  request.suite = "runtime";
  if (vm.count("backends") != 0U) {
    request.subjects = split_list(vm["backends"].as<std::string>());
  }
  request.containers = vm["containers"].as<int>();
  // The whole-command figure runs this very berth.
  std::error_code ec;
  request.cli = std::filesystem::read_symlink("/proc/self/exe", ec);
  return run_suite(context, request, vm);
}

} // namespace

Command bench_command() {
  return {"bench", "benchmark storage, network and runtime drivers side by side",
          [](Context &context, const std::vector<std::string> &args) {
            return run_group(
                context, args, "bench",
                "Benchmark drivers side by side. Runs in private namespaces under a scratch "
                "directory, and removes everything it made, also after Ctrl-C.",
                {{"storage", "compare storage drivers", run_storage},
                 {"network", "compare network drivers", run_network},
                 {"runtime", "compare isolation backends", run_runtime}});
          }};
}

} // namespace berth::cli
