// The berth command line as a user meets it: help everywhere, exit codes
// (0 ok, 1 failed, 2 usage), one-line errors, JSON for scripts.
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth {
namespace {

using testing::run_berth;

std::size_t line_count(const std::string &text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A stack whose plugin path is the fixture directory.
std::filesystem::path fixture_stack(const testing::TempDir &dir, const std::string &extra = "") {
  return dir.write("stack.yaml",
                   "apiVersion: berth/v1\nkind: Stack\nroot: " + (dir.path() / "root").string() +
                       "\nplugins: { paths: [" + BERTH_FIXTURE_PLUGIN_DIR + "] }\n" + extra);
}

TEST(Cli, BareBerthPrintsUsageAndExitsTwo) {
  auto result = run_berth({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("Usage: berth"), std::string::npos);
}

TEST(Cli, EveryCommandHasHelp) {
  for (const auto &command : std::vector<std::vector<std::string>>{{"--help"},
                                                                   {"help"},
                                                                   {"help", "info"},
                                                                   {"version", "--help"},
                                                                   {"info", "--help"},
                                                                   {"plugins", "--help"},
                                                                   {"plugins", "ls", "--help"},
                                                                   {"plugins", "inspect", "--help"},
                                                                   {"config", "--help"},
                                                                   {"config", "validate", "--help"},
                                                                   {"config", "show", "--help"},
                                                                   {"config", "reference", "-h"}}) {
    auto result = run_berth(command);
    EXPECT_EQ(result.exit_code, 0) << command.front();
    EXPECT_NE(result.out.find("Usage: berth"), std::string::npos) << result.out;
    EXPECT_TRUE(result.err.empty()) << result.err;
  }
}

TEST(Cli, VersionReportsAbiAndToolchain) {
  auto plain = run_berth({"--version"});
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.out.rfind("berth version ", 0), 0U);
  auto json = run_berth({"version", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["pluginAbi"], "1.1");
  EXPECT_FALSE(parsed["toolchain"].get<std::string>().empty());
}

TEST(Cli, VersionAndInfoTakeGoTemplates) {
  auto abi = run_berth({"version", "--format", "{{.pluginAbi}}"});
  ASSERT_EQ(abi.exit_code, 0) << abi.err;
  EXPECT_EQ(abi.out, "1.1\n");
  auto host = run_berth({"info", "--format", "{{.host.cpus}} {{json .plugins}}"});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  EXPECT_EQ(host.out.find('{'), host.out.find(' ') + 1) << host.out;
  EXPECT_GT(std::stoi(host.out), 0) << host.out;
  auto text = run_berth({"info", "--format", "xml"});
  EXPECT_EQ(text.out, "xml\n") << "text alone is a template, as in docker";
}

struct UsageCase {
  std::vector<std::string> args;
  std::string message;
};

TEST(Cli, UsageErrorsExitTwoWithOneLine) {
  const std::vector<UsageCase> cases = {
      {{"infoo"}, "berth: unknown command 'infoo'; did you mean 'info'?; see 'berth --help'\n"},
      {{"info", "--bogus"}, "berth: unrecognised option '--bogus'; see 'berth info --help'\n"},
      {{"info", "--format", "{{.nope"},
       "berth: template parsing error: template: :1:8: unclosed action\n"},
      {{"plugins", "ls", "--format", "xml"}, "berth: invalid --format 'xml' (use table or json)\n"},
      {{"--log-level", "loud", "info"},
       "berth: invalid --log-level 'loud' (use trace, debug, info, warn, error)\n"},
      {{"plugins", "lss"},
       "berth: unknown command 'plugins lss'; did you mean 'ls'?; see 'berth plugins --help'\n"},
      {{"plugins", "inspect"},
       "berth: plugins inspect needs a plugin NAME; see 'berth plugins ls'\n"},
      {{"--nope"}, "berth: unrecognised option '--nope'; see 'berth --help'\n"},
  };
  for (const auto &c : cases) {
    auto result = run_berth(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args.front();
    EXPECT_EQ(result.err, c.message);
    EXPECT_TRUE(result.out.empty());
  }
}

TEST(Cli, RuntimeErrorsExitOneWithOneLine) {
  testing::TempDir dir;
  auto missing =
      run_berth({"plugins", "inspect", "fixture-god", "--stack", fixture_stack(dir).string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "berth plugins inspect: no plugin named 'fixture-god'; did you mean "
                         "'fixture-good'?; run 'berth plugins ls' to see them all\n");
  auto unreadable = run_berth({"--stack", "/nonexistent/stack.yaml", "info"});
  EXPECT_EQ(unreadable.exit_code, 1);
  EXPECT_EQ(unreadable.err,
            "/nonexistent/stack.yaml: cannot read the stack file: No such file or directory\n");
}

TEST(Cli, ConfigValidateSaysOkOrPrintsPositionedErrors) {
  testing::TempDir dir;
  auto good = run_berth({"config", "validate", fixture_stack(dir).string()});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(good.out, "ok\n");

  const auto bad = fixture_stack(dir, "storage:\n  driver: fixture-skiping\n");
  auto result = run_berth({"config", "validate", bad.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            bad.string() +
                ":6:11: storage.driver: no storage plugin named 'fixture-skiping' "
                "(have: fixture-skipping, overlay2, vfs); did you mean 'fixture-skipping'?\n");

  const auto skipped = fixture_stack(dir, "storage:\n  driver: fixture-skipping\n");
  result = run_berth({"config", "validate", skipped.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, skipped.string() + ":6:11: storage.driver: storage plugin "
                                           "'fixture-skipping' cannot run on this host: needs "
                                           "the frobnicator filesystem\n");
}

TEST(Cli, OptionsThatFailALoadedPluginsSchemaArePositioned) {
  testing::TempDir dir;
  const auto stack = fixture_stack(dir, "scheduler:\n"
                                        "  profiles:\n"
                                        "    - name: default\n"
                                        "      filters: [fixture-good]\n"
                                        "      args:\n"
                                        "        fixture-good: { mode: fast, limit: many }\n");
  auto result = run_berth({"config", "validate", stack.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            stack.string() +
                ":10:31: scheduler.profiles[0].args.fixture-good.mode: 'fast' is not one of: "
                "strict, lenient\n" +
                stack.string() +
                ":10:44: scheduler.profiles[0].args.fixture-good.limit: expected int, got "
                "'many'\n");
}

TEST(Cli, StackChoiceFollowsFlagThenEnvironment) {
  testing::TempDir dir;
  const auto from_env = dir.write("env.yaml", "apiVersion: berth/v1\nkind: Stack\nroot: /env\n");
  const auto from_flag = dir.write("flag.yaml", "apiVersion: berth/v1\nkind: Stack\nroot: /flag\n");
  auto env_only = run_berth({"info", "--format", "json"}, {{"BERTH_STACK", from_env.string()}});
  ASSERT_EQ(env_only.exit_code, 0) << env_only.err;
  EXPECT_EQ(nlohmann::json::parse(env_only.out)["root"], "/env");
  auto flag_wins = run_berth({"--stack", from_flag.string(), "info", "--format", "json"},
                             {{"BERTH_STACK", from_env.string()}});
  EXPECT_EQ(nlohmann::json::parse(flag_wins.out)["root"], "/flag");
  auto root_flag = run_berth({"--root", "/elsewhere", "info", "--format", "json"},
                             {{"BERTH_STACK", from_env.string()}});
  EXPECT_EQ(nlohmann::json::parse(root_flag.out)["root"], "/elsewhere");
  if (std::filesystem::exists("/etc/berth/stack.yaml")) {
    GTEST_SKIP() << "/etc/berth/stack.yaml exists, so the built-in default is not used";
  }
  auto builtin = run_berth({"info", "--format", "json"}, {{"BERTH_STACK", ""}});
  EXPECT_EQ(nlohmann::json::parse(builtin.out)["stack"], "(built-in default)");
}

TEST(Cli, StackFileMistakesAreNamed) {
  testing::TempDir dir;
  auto directory = run_berth({"--stack", dir.path().string(), "info"});
  EXPECT_EQ(directory.exit_code, 1);
  EXPECT_EQ(directory.err,
            dir.path().string() + ": is a directory; name the stack file inside it\n");
  auto empty = run_berth({"--stack", "", "info"});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_EQ(empty.err, "berth: --stack needs a file\n");
}

TEST(Cli, PluginsLsStillListsWhenTheStackNamesAnUnusablePlugin) {
  testing::TempDir dir;
  const auto stack = fixture_stack(dir, "storage:\n  driver: fixture-skipping\n");
  auto result = run_berth({"--stack", stack.string(), "plugins", "ls"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("skipped: needs the frobnicator filesystem"), std::string::npos);
  EXPECT_EQ(result.err, "warning: " + stack.string() +
                            ":6:11: storage.driver: storage plugin 'fixture-skipping' cannot run "
                            "on this host: needs the frobnicator filesystem\n");
  auto info = run_berth({"--stack", stack.string(), "info"});
  EXPECT_EQ(info.exit_code, 1) << "info needs a stack that resolves";
}

TEST(Cli, DebugLogInJsonNamesWhatWasRefusedAndWhy) {
  testing::TempDir dir;
  const auto stack = fixture_stack(dir, "logging: { level: info, format: json }\n");
  auto result = run_berth({"--log-level", "debug", "--stack", stack.string(), "plugins", "ls"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  bool found = false;
  std::istringstream lines(result.err);
  for (std::string line; std::getline(lines, line);) {
    auto entry = nlohmann::json::parse(line); // every line is one JSON object
    EXPECT_EQ(entry["level"], "debug");
    const auto message = entry["msg"].get<std::string>();
    found = found || (message.rfind("refused ? from ", 0) == 0 &&
                      message.find("berth-fixture-wrong-major.so: built for SDK ABI 2.1") !=
                          std::string::npos);
  }
  EXPECT_TRUE(found) << result.err;
  auto quiet = run_berth({"--stack", stack.string(), "plugins", "ls"});
  EXPECT_TRUE(quiet.err.empty()) << quiet.err;
}

TEST(Cli, InfoShowsDriversAndHostFacts) {
  auto result = run_berth({"info", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto info = nlohmann::json::parse(result.out);
  EXPECT_EQ(info["drivers"]["storage"], "overlay2");
  EXPECT_EQ(info["drivers"]["runtime"], "namespaces");
  EXPECT_EQ(info["drivers"]["network"], "bridge");
  EXPECT_FALSE(info["host"]["kernel"].get<std::string>().empty());
  EXPECT_GT(info["host"]["cpus"].get<int>(), 0);
  EXPECT_TRUE(info["host"]["cgroup"].get<std::string>().rfind('v', 0) == 0);
  auto table = run_berth({"info"});
  EXPECT_NE(table.out.find("runtime:     namespaces"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("network:     bridge"), std::string::npos) << table.out;
}

TEST(Cli, PluginsLsShowsLoadedSkippedAndRefusedWithReasons) {
  testing::TempDir dir;
  auto result =
      run_berth({"--stack", fixture_stack(dir).string(), "plugins", "ls", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::map<std::string, nlohmann::json> by_file;
  for (const auto &entry : nlohmann::json::parse(result.out)) {
    by_file[std::filesystem::path(entry["file"].get<std::string>()).filename()] = entry;
  }
  EXPECT_EQ(by_file["berth-fixture-good.so"]["status"], "loaded");
  EXPECT_EQ(by_file["berth-fixture-good.so"]["kind"], "scheduler");
  EXPECT_EQ(by_file["berth-fixture-skipping.so"]["status"], "skipped");
  EXPECT_EQ(by_file["berth-fixture-skipping.so"]["reason"], "needs the frobnicator filesystem");
  EXPECT_EQ(by_file["berth-fixture-wrong-major.so"]["status"], "refused");
  EXPECT_TRUE(by_file["berth-fixture-wrong-major.so"]["name"].is_null());

  auto table = run_berth({"--stack", fixture_stack(dir).string(), "plugins", "ls"});
  EXPECT_EQ(line_count(table.out), 1 + by_file.size());
  EXPECT_NE(table.out.find("skipped: needs the frobnicator filesystem"), std::string::npos);
}

TEST(Cli, PluginsInspectShowsTheOptionSchema) {
  testing::TempDir dir;
  auto result = run_berth({"--stack", fixture_stack(dir).string(), "plugins", "inspect",
                           "fixture-good", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto plugin = nlohmann::json::parse(result.out);
  EXPECT_EQ(plugin["version"], "1.2.3");
  EXPECT_EQ(plugin["description"], "a label filter used by the tests");
  ASSERT_EQ(plugin["options"].size(), 4U);
  EXPECT_EQ(plugin["options"][2]["name"], "mode");
  EXPECT_EQ(plugin["options"][2]["choices"], (nlohmann::json{"strict", "lenient"}));
  EXPECT_EQ(plugin["options"][3]["default"], 10);
  auto table =
      run_berth({"--stack", fixture_stack(dir).string(), "plugins", "inspect", "fixture-good"});
  EXPECT_NE(table.out.find("string (strict|lenient)"), std::string::npos) << table.out;
}

TEST(Cli, ConfigShowPrintsAStackThatValidates) {
  testing::TempDir dir;
  const auto stack = fixture_stack(dir, "scheduler:\n  profiles:\n    - name: default\n"
                                        "      filters: [fixture-good]\n");
  auto shown = run_berth({"--stack", stack.string(), "config", "show"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("mode: strict"), std::string::npos) << shown.out;
  const auto again = dir.write("shown.yaml", shown.out);
  auto result = run_berth({"config", "validate", again.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

// A stack that sets one thing keeps the rest of the built-in default.
TEST(Cli, ConfigShowMergesAPartialStackOverTheDefaults) {
  testing::TempDir dir;
  const auto stack = dir.write("stack.yaml", "apiVersion: berth/v1\nkind: Stack\n"
                                             "runtime: { default: crun }\n"
                                             "network: { default: host }\nscheduler: null\n");
  auto validated = run_berth({"config", "validate", stack.string()});
  EXPECT_EQ(validated.exit_code, 0) << validated.err;
  auto shown = run_berth({"--stack", stack.string(), "config", "show"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  for (const auto *part : {"driver: overlay2", "default: crun", "runc:", "default: host",
                           "name: bridge", "name: none"}) {
    EXPECT_NE(shown.out.find(part), std::string::npos) << part << " in\n" << shown.out;
  }
  // Removed, and written so: read again, the file would inherit it back.
  EXPECT_NE(shown.out.find("scheduler: ~"), std::string::npos) << shown.out;
}

TEST(Cli, ExampleStacksValidate) {
  for (const auto &entry :
       std::filesystem::directory_iterator(BERTH_SOURCE_DIR "/examples/stacks")) {
    auto result = run_berth({"config", "validate", entry.path().string()});
    EXPECT_EQ(result.exit_code, 0) << entry.path() << ": " << result.err;
  }
}

TEST(Cli, StackReferenceDocIsUpToDate) {
  auto result = run_berth({"config", "reference"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, testing::read_file(BERTH_SOURCE_DIR "/docs/stack.md"))
      << "regenerate it: build/bin/berth config reference > docs/stack.md";
}

} // namespace
} // namespace berth
