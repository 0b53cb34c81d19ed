// --format as docker reads it: default table, json, templates a line per
// item, and "table" templates as aligned columns under a header.
#include "format/output_format.hpp"
#include "format/tab_writer.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

using json = nlohmann::json;

const std::vector<json> kRows = {
    {{"ID", "4f1c2d"}, {"Names", "web"}, {"Status", "Up 2 minutes"}, {"CreatedAt", "today"}},
    {{"ID", "99ab"}, {"Names", "database-primary"}, {"Status", "Exited (0)"}, {"CreatedAt", "now"}},
};

TEST(OutputFormat, ReadsTableJsonAndTemplates) {
  EXPECT_EQ(OutputFormat::parse("").kind(), OutputFormat::Kind::table);
  EXPECT_EQ(OutputFormat::parse("table").kind(), OutputFormat::Kind::table);
  EXPECT_EQ(OutputFormat::parse("json").kind(), OutputFormat::Kind::json);
  EXPECT_EQ(OutputFormat::parse("{{.ID}}").kind(), OutputFormat::Kind::lines);
  EXPECT_EQ(OutputFormat::parse("table {{.ID}}").kind(), OutputFormat::Kind::custom_table);
  EXPECT_FALSE(OutputFormat::parse("json").is_template());
  EXPECT_TRUE(OutputFormat::parse("xml").is_template()) << "text alone is a template, as in docker";
}

TEST(OutputFormat, TemplatePrintsOneLinePerItem) {
  const auto format = OutputFormat::parse("{{.ID}} {{.Names}}");
  EXPECT_EQ(format.render(kRows), "4f1c2d web\n99ab database-primary\n");
  EXPECT_EQ(format.render({}), "");
}

TEST(OutputFormat, TabAndNewlineEscapesWorkInsideShellQuotes) {
  EXPECT_EQ(OutputFormat::parse(R"({{.ID}}\t{{.Names}})").render({kRows[0]}), "4f1c2d\tweb\n");
}

TEST(OutputFormat, TableHasHeaderAndAlignedColumns) {
  const auto format = OutputFormat::parse(R"(table {{.ID}}\t{{.Names}}\t{{.Status}})");
  EXPECT_EQ(format.render(kRows, {{"ID", "CONTAINER ID"}}),
            "CONTAINER ID   NAMES              STATUS\n"
            "4f1c2d         web                Up 2 minutes\n"
            "99ab           database-primary   Exited (0)\n");
}

TEST(OutputFormat, TableColumnsAreAtLeastTenWide) {
  const auto format = OutputFormat::parse(R"(table {{.ID}}\t{{.CreatedAt}})");
  EXPECT_EQ(format.render({kRows[1]}), "ID        CREATED AT\n99ab      now\n");
  EXPECT_EQ(format.render({}), "ID        CREATED AT\n") << "an empty list still has its header";
}

TEST(OutputFormat, ParseErrorsSayTemplateParsingError) {
  try {
    (void)OutputFormat::parse("{{.ID}} {{nope}}");
    FAIL() << "parsed";
  } catch (const TemplateError &e) {
    EXPECT_STREQ(e.what(),
                 "template parsing error: template: :1:11: function \"nope\" not defined");
  }
}

TEST(TabWriter, AlignsColumnBlocksLikeGo) {
  EXPECT_EQ(align_columns("a\tbb\tc\nlonger\tx\ty\n", 0, 1), "a      bb c\nlonger x  y\n");
  // A line with fewer cells ends the block: the next block is measured anew.
  EXPECT_EQ(align_columns("aaaa\tb\nno tabs\nc\td\n", 0, 1), "aaaa b\nno tabs\nc d\n");
  EXPECT_EQ(align_columns("é\tx\nab\ty\n", 0, 1), "é  x\nab y\n") << "widths count characters";
}

} // namespace
} // namespace berth
