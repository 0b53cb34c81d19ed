// --format templates through the real CLI, on real containers, images and
// volumes: what a docker user types after -f or --format.
#include "container_fixture.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace berth::testing {
namespace {

class ContainerFormat : public ContainerTest {};

TEST_F(ContainerFormat, InspectTemplatesReachIntoEachContainer) {
  const auto id =
      run_detached({"--name", "fmt-web", "--label", "team=core", kImage, "sleep", "1000"});
  const auto other = run_detached({"--name", "fmt-db", kImage, "sleep", "1000"});
  const auto pid = inspect("fmt-web")["State"]["Pid"].get<int>();
  ASSERT_GT(pid, 0);

  const auto fields =
      berth({"inspect", "-f", "{{.State.Pid}} {{.Name}} {{.State.Running}}", "fmt-web"});
  ASSERT_EQ(fields.exit_code, 0) << fields.err;
  EXPECT_EQ(fields.out, std::to_string(pid) + " /fmt-web true\n");

  const auto address = berth({"inspect", "-f", "{{.NetworkSettings.IPAddress}}", "fmt-web"});
  const auto bridge = inspect("fmt-web")["NetworkSettings"]["Networks"]["bridge"];
  ASSERT_TRUE(bridge.contains("IPAddress")) << bridge.dump();
  EXPECT_EQ(address.out, bridge["IPAddress"].get<std::string>() + "\n") << address.err;

  const auto label =
      berth({"container", "inspect", "--format", R"({{index .Config.Labels "team"}})", "fmt-web"});
  EXPECT_EQ(label.out, "core\n") << label.err;

  const auto each = berth({"inspect", "-f", "{{.Id}}", "fmt-web", "fmt-db"});
  EXPECT_EQ(each.out, id + "\n" + other + "\n") << "one line per item, in the order named";

  const auto config = berth({"inspect", "-f", "{{json .Config}}", "fmt-web"});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  EXPECT_EQ(nlohmann::json::parse(config.out), inspect("fmt-web")["Config"]);

  const auto missing = berth({"inspect", "-f", "{{.NoSuchField}}", "fmt-web"});
  EXPECT_EQ(missing.out, "<no value>\n");
}

TEST_F(ContainerFormat, PsTemplatesUseDockersRowFields) {
  const auto id = run_detached({"--name", "fmt-ps", kImage, "sleep", "1000"});
  const auto plain = berth({"ps", "--format", "{{.ID}} {{.Names}} {{.Image}} {{.State}}"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, id.substr(0, 12) + " fmt-ps " + kImage + " running\n");

  const auto status = berth({"ps", "--format", "{{.Status}}|{{.Command}}"});
  EXPECT_TRUE(std::regex_match(status.out, std::regex("Up .*\\|\"sleep 1000\"\n"))) << status.out;

  const auto full = berth({"ps", "--no-trunc", "--format", "{{.ID}}"});
  EXPECT_EQ(full.out, id + "\n");
}

TEST_F(ContainerFormat, PsTableTemplatePrintsHeaderAndAlignedColumns) {
  const auto id = run_detached({"--name", "fmt-table", kImage, "sleep", "1000"});
  const auto table = berth({"ps", "--format", R"(table {{.ID}}\t{{.Names}}\t{{.CreatedAt}})"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const auto rows = lines(table.out);
  ASSERT_EQ(rows.size(), 2U) << table.out;
  EXPECT_EQ(rows[0], "CONTAINER ID   NAMES       CREATED AT");
  EXPECT_TRUE(rows[1].starts_with(id.substr(0, 12) + "   fmt-table   ")) << rows[1];

  const auto default_table = berth({"ps", "--format", "table"});
  EXPECT_TRUE(default_table.out.starts_with("CONTAINER ID   IMAGE")) << default_table.out;
}

TEST_F(ContainerFormat, ImagesAndHistoryTemplates) {
  const auto images = berth({"images", "--format", "{{.Repository}}:{{.Tag}} {{len .ID}}"});
  ASSERT_EQ(images.exit_code, 0) << images.err;
  EXPECT_NE(images.out.find(std::string(kImage) + " 12\n"), std::string::npos) << images.out;

  const auto inspected = berth({"image", "inspect", "-f", "{{.Id}}", kImage});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  EXPECT_TRUE(inspected.out.starts_with("sha256:")) << inspected.out;

  const auto history = berth({"history", "--format", "table {{.ID}}\t{{.Size}}", kImage});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_TRUE(history.out.starts_with("IMAGE")) << history.out;
  EXPECT_GE(lines(history.out).size(), 2U) << history.out;
}

TEST_F(ContainerFormat, VolumeTemplates) {
  ASSERT_EQ(berth({"volume", "create", "--label", "k=v", "fmt-vol"}).exit_code, 0);
  const auto listed = berth({"volume", "ls", "--format", "{{.Name}} {{.Driver}}"});
  EXPECT_EQ(listed.out, "fmt-vol local\n") << listed.err;
  const auto table = berth({"volume", "ls", "--format", "table {{.Name}}"});
  EXPECT_EQ(table.out, "VOLUME NAME\nfmt-vol\n") << table.err;
  const auto inspected =
      berth({"volume", "inspect", "-f", "{{.Labels.k}} {{.Mountpoint}}", "fmt-vol"});
  EXPECT_TRUE(inspected.out.starts_with("v /")) << inspected.out << inspected.err;
}

TEST_F(ContainerFormat, NetworkTemplates) {
  const auto listed = berth({"network", "ls", "--format", "{{.Name}}/{{.Driver}}"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("bridge/bridge\n"), std::string::npos) << listed.out;
  const auto inspected = berth({"network", "inspect", "-f", "{{.Name}}", "bridge"});
  EXPECT_EQ(inspected.out, "bridge\n") << inspected.err;
}

TEST_F(ContainerFormat, StatsTemplate) {
  run_detached({"--name", "fmt-stats", kImage, "sleep", "1000"});
  const auto stats =
      berth({"stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "fmt-stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(stats.out, "fmt-stats 1\n");
}

TEST_F(ContainerFormat, BadTemplatesFailWithOneLineNamingTheColumn) {
  run_detached({"--name", "fmt-bad", kImage, "sleep", "1000"});
  const auto parse = berth({"ps", "--format", "{{.ID}} {{foo .Names}}"});
  EXPECT_EQ(parse.exit_code, 2);
  EXPECT_EQ(parse.err,
            "berth: template parsing error: template: :1:11: function \"foo\" not defined\n");
  EXPECT_TRUE(parse.out.empty());

  const auto run = berth({"inspect", "-f", "{{.Name.First}}", "fmt-bad"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "template: :1:3: executing \"\" at <.Name.First>: can't evaluate field First "
                     "in type string\n");
}

} // namespace
} // namespace berth::testing
