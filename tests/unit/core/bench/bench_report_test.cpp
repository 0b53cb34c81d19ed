#include "bench/bench_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <numeric>
#include <regex>

namespace berth::bench {
namespace {

using nlohmann::json;

Subject plugin_subject(const std::string &name) {
  Subject subject;
  subject.name = name;
  subject.plugin = name;
  subject.version = "1.0.0";
  return subject;
}

Measurement measured(const std::string &workload, const std::string &subject,
                     std::vector<double> samples) {
  Measurement measurement;
  measurement.workload = workload;
  measurement.subject = subject;
  measurement.samples = std::move(samples);
  return measurement;
}

Measurement failed(const std::string &workload, const std::string &subject,
                   const std::string &error) {
  Measurement measurement = measured(workload, subject, {});
  measurement.error = error;
  return measurement;
}

Measurement unsupported(const std::string &workload, const std::string &subject,
                        const std::string &why) {
  Measurement measurement = measured(workload, subject, {});
  measurement.unsupported = why;
  return measurement;
}

// A storage report: overlay2 and vfs measured, a plugin that failed to load,
// one workload failing on overlay2 and one vfs cannot do.
Report storage_report() {
  Report report;
  report.suite = "storage";
  report.started_at = "2024-05-01T10:00:00Z";
  report.machine = {.kernel = "6.1.0-18-amd64",
                    .os = "Debian GNU/Linux 12 (bookworm)",
                    .cpu_model = "AMD EPYC 7B13",
                    .cores = 2,
                    .memory_bytes = 8ULL << 30,
                    .filesystem = "ext4 on /var/tmp",
                    .cgroup = "v2",
                    .berth_version = "0.7.0"};
  report.parameters = {{"repeat", 3}, {"image", "alpine:3.19"}};
  report.workloads = {
      {.id = "apply_layers",
       .title = "apply the image's layers",
       .unit = "ms",
       .better = Better::lower},
      {.id = "seq_read", .title = "sequential read", .unit = "MiB/s", .better = Better::higher},
      {.id = "commit", .title = "commit changes", .unit = "ms", .better = Better::lower}};
  report.subjects = {plugin_subject("overlay2"), plugin_subject("vfs"), plugin_subject("broken")};
  report.subjects[0].options = {{"a", 1}};
  report.subjects[2].status = "failed";
  report.subjects[2].reason = "cannot load";
  report.measurements = {measured("apply_layers", "overlay2", {12, 10, 11}),
                         measured("apply_layers", "vfs", {50, 40, 45}),
                         measured("seq_read", "overlay2", {800, 900, 850}),
                         unsupported("seq_read", "vfs", "no page cache bypass"),
                         failed("commit", "overlay2", "mkdir: EACCES")};
  return report;
}

json podman_peers() {
  return {{"suite", "storage"},
          {"subjects", {{{"name", "podman"}, {"version", "4.3.1"}, {"options", {{"d", "o"}}}}}},
          {"measurements",
           {{{"workload", "apply_layers"}, {"subject", "podman"}, {"samples", {20, 22, 21}}},
            {{"workload", "image_pull"}, {"subject", "podman"}, {"samples", {1}}},
            {{"workload", "commit"}, {"subject", "podman"}, {"error", "boom"}},
            {{"workload", "seq_read"}, {"subject", "podman"}, {"unsupported", "no"}}}}};
}

// The cell a single sample shows, to see how a number is formatted.
std::string single_sample_cell(double value) {
  Report report = storage_report();
  report.measurements = {measured("apply_layers", "vfs", {value})};
  return to_table(report).rows[0][2];
}

std::size_t count(const std::string &text, const std::string &needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

// The attribute of each bar, in document order.
std::vector<std::string> rect_attributes(const std::string &svg, const std::string &name) {
  const std::regex rect("<rect [^>]*" + name + "=\"([^\"]+)\"");
  std::vector<std::string> values;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect); it != std::sregex_iterator();
       ++it)
    values.push_back((*it)[1]);
  return values;
}

std::vector<double> rect_widths(const std::string &svg) {
  std::vector<double> widths;
  for (const auto &width : rect_attributes(svg, "width"))
    widths.push_back(std::stod(width));
  return widths;
}

TEST(BenchSummary, OddCountTakesTheMiddleSample) {
  const Summary summary = summarize({5, 1, 3});
  EXPECT_EQ(summary.runs, 3U);
  EXPECT_EQ(summary.median, 3);
  EXPECT_EQ(summary.min, 1);
  EXPECT_EQ(summary.max, 5);
  EXPECT_EQ(summary.p99, 5);
}

TEST(BenchSummary, EvenCountAveragesTheTwoMiddleSamples) {
  const Summary summary = summarize({4, 1, 3, 2});
  EXPECT_EQ(summary.runs, 4U);
  EXPECT_EQ(summary.median, 2.5);
  EXPECT_EQ(summary.min, 1);
  EXPECT_EQ(summary.max, 4);
}

TEST(BenchSummary, P99IsTheNearestRank) {
  std::vector<double> samples(100);
  std::iota(samples.begin(), samples.end(), 1.0);
  std::reverse(samples.begin(), samples.end());
  EXPECT_EQ(summarize(samples).p99, 99); // ceil(0.99 * 100) = 99th smallest
  EXPECT_EQ(summarize(samples).median, 50.5);
  EXPECT_EQ(summarize({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}).p99, 10); // ceil(9.9) = 10th
}

TEST(BenchSummary, EmptyHasNoRuns) {
  const Summary summary = summarize({});
  EXPECT_EQ(summary.runs, 0U);
  EXPECT_EQ(summary.median, 0);
  EXPECT_EQ(summary.min, 0);
  EXPECT_EQ(summary.max, 0);
  EXPECT_EQ(summary.p99, 0);
}

TEST(BenchReport, FindsAMeasurementByWorkloadAndSubject) {
  const Report report = storage_report();
  ASSERT_NE(report.find("seq_read", "vfs"), nullptr);
  EXPECT_EQ(report.find("seq_read", "vfs")->unsupported, "no page cache bypass");
  EXPECT_EQ(report.find("commit", "vfs"), nullptr);
}

TEST(BenchReportJson, CarriesTheMachineWorkloadsAndSubjects) {
  const json out = json::parse(to_json(storage_report()).dump());
  EXPECT_EQ(out["suite"], "storage");
  EXPECT_EQ(out["started_at"], "2024-05-01T10:00:00Z");
  EXPECT_EQ(out["machine"]["kernel"], "6.1.0-18-amd64");
  EXPECT_EQ(out["machine"]["cores"], 2);
  EXPECT_EQ(out["machine"]["memory_bytes"], 8ULL << 30);
  EXPECT_EQ(out["machine"]["berth_version"], "0.7.0");
  EXPECT_EQ(out["parameters"]["repeat"], 3);
  EXPECT_EQ(out["workloads"][0]["better"], "lower");
  EXPECT_EQ(out["workloads"][1]["better"], "higher");
  EXPECT_EQ(out["workloads"][1]["unit"], "MiB/s");
  EXPECT_EQ(out["subjects"][0]["options"], json({{"a", 1}}));
  EXPECT_EQ(out["subjects"][2]["status"], "failed");
  EXPECT_EQ(out["subjects"][2]["reason"], "cannot load");
  EXPECT_EQ(out["subjects"][2]["peer"], false);
}

TEST(BenchReportJson, SummaryOnlyBesideSamples) {
  const json measurements = to_json(storage_report())["measurements"];
  ASSERT_EQ(measurements.size(), 5U);
  EXPECT_EQ(measurements[0]["samples"], json({12, 10, 11}));
  EXPECT_EQ(measurements[0]["summary"]["median"], 11);
  EXPECT_EQ(measurements[0]["summary"]["runs"], 3);
  EXPECT_EQ(measurements[0]["summary"]["p99"], 12);
  EXPECT_FALSE(measurements[0].contains("error"));
  EXPECT_FALSE(measurements[0].contains("unsupported"));
  EXPECT_FALSE(measurements[3].contains("summary"));
  EXPECT_EQ(measurements[3]["unsupported"], "no page cache bypass");
  EXPECT_FALSE(measurements[4].contains("summary"));
  EXPECT_EQ(measurements[4]["error"], "mkdir: EACCES");
}

TEST(BenchPeers, AddsPeerSubjectsAndDropsUnknownWorkloads) {
  Report report = storage_report();
  ASSERT_EQ(merge_peers(report, podman_peers()), std::nullopt);
  ASSERT_EQ(report.subjects.size(), 4U);
  const Subject &podman = report.subjects.back();
  EXPECT_EQ(podman.name, "podman");
  EXPECT_TRUE(podman.peer);
  EXPECT_EQ(podman.plugin, "");
  EXPECT_EQ(podman.version, "4.3.1");
  EXPECT_EQ(podman.options, json({{"d", "o"}}));
  ASSERT_NE(report.find("apply_layers", "podman"), nullptr);
  EXPECT_EQ(report.find("apply_layers", "podman")->samples, std::vector<double>({20, 22, 21}));
  EXPECT_EQ(report.find("commit", "podman")->error, "boom");
  EXPECT_EQ(report.find("seq_read", "podman")->unsupported, "no");
  EXPECT_EQ(report.find("image_pull", "podman"), nullptr);
  EXPECT_EQ(report.measurements.size(), 8U);
}

TEST(BenchPeers, AMalformedFileIsNamedAndLeavesTheReportUnchanged) {
  struct Case {
    std::string what;
    std::function<void(json &)> spoil;
    std::string message;
  };
  const std::vector<Case> cases{
      {"other suite", [](json &j) { j["suite"] = "network"; },
       "peers file is for the network suite, not storage"},
      {"subjects not an array",
       [](json &j) {
         j["subjects"] = {{"name", "x"}};
       },
       "subjects: expected an array"},
      {"measurements missing", [](json &j) { j.erase("measurements"); },
       "measurements: expected an array"},
      {"subject without a name", [](json &j) { j["subjects"][0].erase("name"); },
       "subjects[0].name: expected a string"},
      {"subject named by a number", [](json &j) { j["subjects"][0]["name"] = 7; },
       "subjects[0].name: expected a string"},
      {"name clash", [](json &j) { j["subjects"][0]["name"] = "vfs"; },
       "subjects[0].name: there is already a subject named 'vfs'"},
      {"unknown subject", [](json &j) { j["measurements"][2]["subject"] = "crun"; },
       "measurements[2].subject: 'crun' is not a subject of the peers file"},
      {"non-numeric samples",
       [](json &j) {
         j["measurements"][3] = podman_peers()["measurements"][0];
         j["measurements"][3]["samples"] = {1, "x"};
       },
       "measurements[3].samples: expected numbers"},
      {"two outcomes", [](json &j) { j["measurements"][0]["error"] = "also"; },
       "measurements[0]: expected only one of samples, error or unsupported"},
      {"no outcome", [](json &j) { j["measurements"][1].erase("samples"); },
       "measurements[1]: expected samples, error or unsupported"},
      {"measurement twice", [](json &j) { j["measurements"].push_back(j["measurements"][0]); },
       "measurements[4]: a second measurement of apply_layers on podman"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.what);
    json peers = podman_peers();
    c.spoil(peers);
    Report report = storage_report();
    const json before = to_json(report);
    const auto error = merge_peers(report, peers);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(*error, c.message);
    EXPECT_EQ(to_json(report), before);
  }
}

TEST(BenchPeers, AcceptsAFileWithoutASuite) {
  json peers = podman_peers();
  peers.erase("suite");
  Report report = storage_report();
  EXPECT_EQ(merge_peers(report, peers), std::nullopt);
  EXPECT_EQ(report.subjects.size(), 4U);
}

TEST(BenchTable, ShowsMedianRangeAndRunsOrWhyNot) {
  const Table table = to_table(storage_report());
  EXPECT_EQ(table.header, std::vector<std::string>({"WORKLOAD", "overlay2", "vfs", "broken"}));
  ASSERT_EQ(table.rows.size(), 3U);
  EXPECT_EQ(table.rows[0],
            std::vector<std::string>(
                {"apply the image's layers (ms)", "11 (10-12, n=3)", "45 (40-50, n=3)", "failed"}));
  EXPECT_EQ(table.rows[1][0], "sequential read (MiB/s)");
  EXPECT_EQ(table.rows[1][1], "850 (800-900, n=3)");
  EXPECT_EQ(table.rows[1][2], "n/a");
  EXPECT_EQ(table.rows[2][1], "failed");
  EXPECT_EQ(table.rows[2][2], "-");
}

TEST(BenchTable, NamesASkippedSubject) {
  Report report = storage_report();
  report.subjects[2].status = "skipped";
  EXPECT_EQ(to_table(report).rows[0][3], "skipped");
}

TEST(BenchTable, ManyRunsOfALatencyShowP99) {
  Report report = storage_report();
  std::vector<double> samples(100);
  std::iota(samples.begin(), samples.end(), 1.0);
  report.measurements[0].samples = samples; // apply_layers: lower is better
  report.measurements[2].samples = samples; // seq_read: higher is better
  const Table table = to_table(report);
  EXPECT_EQ(table.rows[0][1], "50.5 (p99 99, n=100)");
  EXPECT_EQ(table.rows[1][1], "50.5 (1-100, n=100)");
}

TEST(BenchTable, NumbersHaveThreeSignificantDigitsAndNoExponent) {
  EXPECT_EQ(single_sample_cell(82.34), "82.3 (82.3-82.3, n=1)");
  EXPECT_EQ(single_sample_cell(0.41234), "0.412 (0.412-0.412, n=1)");
  EXPECT_EQ(single_sample_cell(1234.4), "1234 (1234-1234, n=1)");
  EXPECT_EQ(single_sample_cell(15.6), "15.6 (15.6-15.6, n=1)");
  EXPECT_EQ(single_sample_cell(99.96), "100 (100-100, n=1)");
  EXPECT_EQ(single_sample_cell(0.0000123), "0.0000123 (0.0000123-0.0000123, n=1)");
  EXPECT_EQ(single_sample_cell(0), "0 (0-0, n=1)");
}

TEST(BenchMarkdown, DescribesTheMachineParametersAndSubjects) {
  Report report = storage_report();
  ASSERT_EQ(merge_peers(report, podman_peers()), std::nullopt);
  const std::string md = to_markdown(report);
  EXPECT_EQ(md.rfind("# berth bench storage\n", 0), 0U) << md;
  EXPECT_NE(md.find("- Kernel: 6.1.0-18-amd64"), std::string::npos) << md;
  EXPECT_NE(md.find("- CPU: AMD EPYC 7B13 x 2"), std::string::npos) << md;
  EXPECT_NE(md.find("- Memory: 8 GiB"), std::string::npos) << md;
  EXPECT_NE(md.find("- image: alpine:3.19"), std::string::npos) << md;
  EXPECT_NE(md.find("- repeat: 3"), std::string::npos) << md;
  EXPECT_NE(md.find("`{\"a\":1}`"), std::string::npos) << md;
  EXPECT_NE(md.find("podman (peer)"), std::string::npos) << md;
}

TEST(BenchMarkdown, BoldsTheBestMedianOfEachRow) {
  Report report = storage_report();
  report.measurements[3] = measured("seq_read", "vfs", {400});
  const std::string md = to_markdown(report);
  EXPECT_NE(md.find("**11** (10–12, n=3)"), std::string::npos) << md; // lower is better
  EXPECT_EQ(md.find("**45**"), std::string::npos) << md;
  EXPECT_NE(md.find("**850** (800–900, n=3)"), std::string::npos) << md; // higher is better
  EXPECT_EQ(md.find("**400**"), std::string::npos) << md;
}

TEST(BenchMarkdown, DoesNotBoldALoneMeasurement) {
  const std::string md = to_markdown(storage_report()); // seq_read: only overlay2 measured
  EXPECT_EQ(md.find("**850**"), std::string::npos) << md;
  EXPECT_NE(md.find("850 (800–900, n=3)"), std::string::npos) << md;
}

TEST(BenchMarkdown, EscapesPipesInCells) {
  Report report = storage_report();
  report.subjects[1].name = "fast|slow";
  report.subjects[1].options = {{"path", "a|b"}};
  for (auto &measurement : report.measurements)
    if (measurement.subject == "vfs")
      measurement.subject = "fast|slow";
  const std::string md = to_markdown(report);
  EXPECT_NE(md.find("fast\\|slow"), std::string::npos) << md;
  EXPECT_NE(md.find("a\\|b"), std::string::npos) << md;
  EXPECT_EQ(md.find("fast|slow"), std::string::npos) << md;
}

TEST(BenchMarkdown, ListsFailuresWithReasons) {
  const std::string md = to_markdown(storage_report());
  const auto failures = md.find("## Failures");
  ASSERT_NE(failures, std::string::npos) << md;
  EXPECT_NE(md.find("- commit changes on overlay2: mkdir: EACCES", failures), std::string::npos)
      << md;
  EXPECT_NE(md.find("- broken failed: cannot load", failures), std::string::npos) << md;
}

TEST(BenchSvg, IsAStandaloneChartWithABarPerMeasuredSubject) {
  const Report report = storage_report();
  const std::string svg = to_svg(report, report.workloads[0]);
  EXPECT_EQ(svg.rfind("<svg", 0), 0U) << svg;
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
  EXPECT_EQ(count(svg, "<rect"), 2U) << svg;
  EXPECT_NE(svg.find("apply the image&apos;s layers (ms), lower is better"), std::string::npos);
  EXPECT_NE(svg.find(">broken: failed<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">11 ms<"), std::string::npos) << svg;
  EXPECT_EQ(svg, to_svg(report, report.workloads[0]));
}

TEST(BenchSvg, NamesUnsupportedAndFailedSubjects) {
  const Report report = storage_report();
  const std::string seq_read = to_svg(report, report.workloads[1]);
  EXPECT_EQ(count(seq_read, "<rect"), 1U) << seq_read;
  EXPECT_NE(seq_read.find(">vfs: n/a<"), std::string::npos) << seq_read;
  EXPECT_NE(seq_read.find("sequential read (MiB/s), higher is better"), std::string::npos);
  const std::string commit = to_svg(report, report.workloads[2]);
  EXPECT_EQ(count(commit, "<rect"), 0U) << commit;
  EXPECT_NE(commit.find(">overlay2: failed<"), std::string::npos) << commit;
}

TEST(BenchSvg, ALargerMedianDrawsALongerBar) {
  const Report report = storage_report();
  const std::vector<double> widths = rect_widths(to_svg(report, report.workloads[0]));
  ASSERT_EQ(widths.size(), 2U);
  EXPECT_LT(widths[0], widths[1]); // overlay2 11 ms, vfs 45 ms
  EXPECT_NEAR(widths[0] / widths[1], 11.0 / 45.0, 0.01);
}

TEST(BenchSvg, EscapesSubjectNames) {
  Report report = storage_report();
  report.subjects[0].name = "<fast> & \"safe\"";
  report.measurements[0].subject = report.subjects[0].name;
  const std::string svg = to_svg(report, report.workloads[0]);
  EXPECT_NE(svg.find("&lt;fast&gt; &amp; &quot;safe&quot;"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<fast>"), std::string::npos) << svg;
}

// A long label ("bridge:mtu=9000:nat=false") stays inside the picture: the
// view box reaches left of zero, and the drawing grows by as much.
TEST(BenchSvg, TheViewBoxMakesRoomForLongSubjectNames) {
  Report report = storage_report();
  const std::string short_names = to_svg(report, report.workloads[0]);
  EXPECT_NE(short_names.find("viewBox=\"0 0 720 "), std::string::npos) << short_names;
  report.subjects[0].name = "overlay2:mount_program=/usr/bin/fuse-overlayfs";
  report.measurements[0].subject = report.subjects[0].name;
  const std::string svg = to_svg(report, report.workloads[0]);
  const std::smatch box = [&] {
    std::smatch match;
    std::regex_search(
        svg, match,
        std::regex(R"re(width="([0-9.]+)" height="[0-9.]+" viewBox="(-[0-9.]+) 0 ([0-9.]+) )re"));
    return match;
  }();
  ASSERT_EQ(box.size(), 4U) << svg;
  const double left = -std::stod(box[2]);
  EXPECT_GE(left + 150, 7.0 * 46) << "the label's start is cut off: " << svg;
  EXPECT_EQ(box[1], box[3]);
  EXPECT_DOUBLE_EQ(std::stod(box[3]), 720 + left);
}

TEST(BenchSvg, PeersHaveTheirOwnColour) {
  Report report = storage_report();
  ASSERT_EQ(merge_peers(report, podman_peers()), std::nullopt);
  const std::vector<std::string> fills =
      rect_attributes(to_svg(report, report.workloads[0]), "fill");
  ASSERT_EQ(fills.size(), 3U); // overlay2, vfs, podman
  EXPECT_EQ(fills[0], fills[1]);
  EXPECT_NE(fills[2], fills[0]);
}

} // namespace
} // namespace berth::bench
