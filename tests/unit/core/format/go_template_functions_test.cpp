// Go's builtin template functions and docker's --format additions.
#include "format/go_template.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

using json = nlohmann::json;

std::string run(std::string_view text, const json &data = json::object()) {
  return GoTemplate::parse(text).execute(data);
}

const json kData = json::parse(R"({
  "Labels": {"com.example.team": "core", "empty": ""},
  "Names": ["web", "api"],
  "Name": "Web Server",
  "Count": 3,
  "Ratio": 0.5,
  "Config": {"Image": "busybox", "Tty": false}
})");

TEST(GoTemplateFunctions, IndexLooksUpKeysAndPositions) {
  EXPECT_EQ(run(R"({{index .Labels "com.example.team"}})", kData), "core");
  EXPECT_EQ(run(R"({{index .Labels "missing"}})", kData), "<no value>");
  EXPECT_EQ(run("{{index .Names 1}}", kData), "api");
  EXPECT_EQ(run(R"({{index . "Config" "Image"}})", kData), "busybox");
}

TEST(GoTemplateFunctions, LenAndSlice) {
  EXPECT_EQ(run("{{len .Names}} {{len .Labels}} {{len .Name}}", kData), "2 2 10");
  EXPECT_EQ(run("{{slice .Name 0 3}} {{slice .Names 1}}", kData), "Web [api]");
}

TEST(GoTemplateFunctions, JsonPrintsCompactJson) {
  EXPECT_EQ(run("{{json .Config}}", kData), R"({"Image":"busybox","Tty":false})");
  EXPECT_EQ(run("{{json .Names}}", kData), R"(["web","api"])");
  EXPECT_EQ(run("{{json .Missing}}", kData), "null");
}

TEST(GoTemplateFunctions, DockersStringFunctions) {
  EXPECT_EQ(run(R"({{join .Names ", "}})", kData), "web, api");
  EXPECT_EQ(run(R"({{split "a:b:c" ":"}})"), "[a b c]");
  EXPECT_EQ(run(R"({{index (split "a:b:c" ":") 2}})"), "c");
  EXPECT_EQ(run("{{lower .Name}}|{{upper .Name}}", kData), "web server|WEB SERVER");
  EXPECT_EQ(run(R"({{title "hello wide world"}})"), "Hello Wide World");
  EXPECT_EQ(run("{{truncate .Name 3}}|{{truncate .Name 50}}", kData), "Web|Web Server");
  EXPECT_EQ(run(R"({{pad "x" 2 1}}|)"), "  x |");
}

TEST(GoTemplateFunctions, Comparisons) {
  EXPECT_EQ(run("{{eq .Count 3}} {{eq .Count 1 2 3}} {{ne .Count 3}}", kData), "true true false");
  EXPECT_EQ(run(R"({{eq .Config.Image "busybox"}} {{eq .Missing "x"}})", kData), "true false");
  EXPECT_EQ(run("{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge .Ratio 0.5}}", kData),
            "true true false true");
  EXPECT_EQ(run(R"({{lt "abc" "abd"}})"), "true");
}

TEST(GoTemplateFunctions, LogicReturnsTheDecidingValue) {
  EXPECT_EQ(run("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 false}}"), "0 2 3 false");
  EXPECT_EQ(run("{{not .Config.Tty}} {{not .Names}}", kData), "true false");
  EXPECT_EQ(run("{{and .Missing .Missing.Deeper}}", kData), "<no value>")
      << "and stops at the first false argument";
}

TEST(GoTemplateFunctions, PrintAndPrintln) {
  EXPECT_EQ(run(R"({{print 1 2 "a" 3}})"), "1 2a3");
  EXPECT_EQ(run(R"({{println "a" 1}})"), "a 1\n");
}

TEST(GoTemplateFunctions, PrintfVerbs) {
  EXPECT_EQ(run(R"({{printf "%s=%d" .Config.Image .Count}})", kData), "busybox=3");
  EXPECT_EQ(run(R"({{printf "%v %v" .Names .Ratio}})", kData), "[web api] 0.5");
  EXPECT_EQ(run(R"({{printf "%q %t" "a\"b" true}})"), R"("a\"b" true)");
  EXPECT_EQ(run(R"({{printf "%x %X %x %o %b" 255 255 "hi" 8 5}})"), "ff FF 6869 10 101");
  EXPECT_EQ(run(R"({{printf "%.2f %e %g" 3.14159 1234.5 0.25}})"), "3.14 1.234500e+03 0.25");
  EXPECT_EQ(run(R"({{printf "%5s|%-5s|%05d|%+d|%.2s" "ab" "ab" 42 7 "abc"}})"),
            "   ab|ab   |00042|+7|ab");
  EXPECT_EQ(run(R"({{printf "%d%%" 50}})"), "50%");
}

TEST(GoTemplateFunctions, PrintfMarksMistakesAsGoDoes) {
  EXPECT_EQ(run(R"({{printf "%d" "x"}})"), "%!d(string=x)");
  EXPECT_EQ(run(R"({{printf "%s %s" "a"}})"), "a %!s(MISSING)");
  EXPECT_EQ(run(R"({{printf "%s" "a" 1}})"), "a%!(EXTRA number=1)");
}

// A typo'd width would pad every value to gigabytes; Go's fmt stops at ten
// million and so does berth (found by fuzz/go_template.cpp).
TEST(GoTemplateFunctions, PrintfRefusesHugeWidthsAsGoDoes) {
  EXPECT_EQ(run(R"({{printf "%22222222225s|%d" "ab" 1}})"),
            "%!(NOVERB)%!(EXTRA string=ab, number=1)");
  EXPECT_EQ(run(R"({{printf "%*d|%.*d" 2000000000 1 -2000000000 2}})"),
            "%!(BADWIDTH)1|%!(BADPREC)2");
}

TEST(GoTemplateFunctions, PrintfPrintsTheMostNegativeInteger) {
  EXPECT_EQ(run(R"({{printf "%d %x" -9223372036854775808 -9223372036854775808}})"),
            "-9223372036854775808 -8000000000000000");
}

} // namespace
} // namespace berth
