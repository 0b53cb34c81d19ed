// The template language as docker users write it in --format: fields,
// variables, if/range/with, trim markers, literals and Go's printing.
#include "format/go_template.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

using json = nlohmann::json;

std::string run(std::string_view text, const json &data) {
  return GoTemplate::parse(text).execute(data);
}

const json kContainer = json::parse(R"({
  "Id": "4f1c2d",
  "Name": "web",
  "State": {"Pid": 4242, "Running": true, "ExitCode": 0, "Status": "running"},
  "Config": {"Labels": {"team": "core", "tier": "front"}, "Env": ["A=1", "B=2"], "Cmd": null},
  "NetworkSettings": {"IPAddress": "10.88.0.5", "Networks": {"bridge": {"IPAddress": "10.88.0.5"}}},
  "Mounts": [{"Source": "/a", "RW": true}, {"Source": "/b", "RW": false}],
  "Ratio": 0.25,
  "Size": 2.0
})");

TEST(GoTemplate, TextWithoutActionsPrintsAsItIs) {
  EXPECT_EQ(run("plain text", kContainer), "plain text");
  EXPECT_EQ(run("", kContainer), "");
}

TEST(GoTemplate, FieldChainsReachIntoObjects) {
  EXPECT_EQ(run("{{.State.Pid}}", kContainer), "4242");
  EXPECT_EQ(run("{{.NetworkSettings.IPAddress}}", kContainer), "10.88.0.5");
  EXPECT_EQ(run("{{.NetworkSettings.Networks.bridge.IPAddress}}", kContainer), "10.88.0.5");
  EXPECT_EQ(run("{{ .Name }}:{{.State.Running}}", kContainer), "web:true");
}

TEST(GoTemplate, MissingKeysAndNullsPrintNoValue) {
  EXPECT_EQ(run("{{.Nope}}", kContainer), "<no value>");
  EXPECT_EQ(run("{{.Nope.Deeper}}", kContainer), "<no value>");
  EXPECT_EQ(run("{{.Config.Cmd}}", kContainer), "<no value>");
  EXPECT_EQ(run("{{.}}", json()), "<no value>");
}

TEST(GoTemplate, PrintsValuesAsGoDoes) {
  EXPECT_EQ(run("{{.Config.Env}}", kContainer), "[A=1 B=2]");
  EXPECT_EQ(run("{{.Config.Labels}}", kContainer), "map[team:core tier:front]");
  EXPECT_EQ(run("{{.Ratio}} {{.Size}}", kContainer), "0.25 2");
  EXPECT_EQ(run("{{.}}", json::parse(R"([1, null, [true], {"k": "v"}])")),
            "[1 <nil> [true] map[k:v]]");
}

TEST(GoTemplate, DotAndDollarAndVariables) {
  EXPECT_EQ(run("{{.}}", "hello"), "hello");
  EXPECT_EQ(run("{{with .State}}{{$.Name}} {{.Pid}}{{end}}", kContainer), "web 4242");
  EXPECT_EQ(run("{{$n := .Name}}{{$n}}-{{$n}}", kContainer), "web-web");
  EXPECT_EQ(run("{{$n := 1}}{{$n = 2}}{{$n}}", kContainer), "2");
  EXPECT_EQ(run("{{$s := .State}}{{$s.Status}}", kContainer), "running");
}

TEST(GoTemplate, IfElseIfElse) {
  const auto text = "{{if eq .State.Status \"exited\"}}gone{{else if .State.Running}}up"
                    "{{else}}?{{end}}";
  EXPECT_EQ(run(text, kContainer), "up");
  EXPECT_EQ(run(text, json{{"State", {{"Status", "exited"}}}}), "gone");
  EXPECT_EQ(run(text, json{{"State", {{"Status", "created"}}}}), "?");
}

TEST(GoTemplate, TruthFollowsGo) {
  for (const auto &falsy :
       {json(false), json(0), json(0.0), json(""), json::array(), json::object(), json()}) {
    EXPECT_EQ(run("{{if .}}t{{else}}f{{end}}", falsy), "f") << falsy.dump();
  }
  for (const auto &truthy : {json(true), json(-1), json("x"), json::array({0}), json{{"a", 1}}}) {
    EXPECT_EQ(run("{{if .}}t{{else}}f{{end}}", truthy), "t") << truthy.dump();
  }
}

TEST(GoTemplate, RangeOverArraysObjectsAndNumbers) {
  EXPECT_EQ(run("{{range .Mounts}}{{.Source}} {{end}}", kContainer), "/a /b ");
  EXPECT_EQ(run("{{range $i, $m := .Mounts}}{{$i}}={{$m.RW}};{{end}}", kContainer),
            "0=true;1=false;");
  EXPECT_EQ(run("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}", kContainer),
            "team:core tier:front ");
  EXPECT_EQ(run("{{range $v := .Config.Env}}<{{$v}}>{{end}}", kContainer), "<A=1><B=2>");
  EXPECT_EQ(run("{{range 3}}{{.}}{{end}}", json()), "012");
}

TEST(GoTemplate, RangeElseBreakAndContinue) {
  EXPECT_EQ(run("{{range .Nope}}x{{else}}none{{end}}", kContainer), "none");
  EXPECT_EQ(run("{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}"
                "{{end}}",
                json{1, 2, 3, 4, 5}),
            "13");
}

TEST(GoTemplate, WithChangesDotOrFallsToElse) {
  EXPECT_EQ(run("{{with .State}}{{.Pid}}{{end}}", kContainer), "4242");
  EXPECT_EQ(run("{{with .Nope}}{{.}}{{else}}empty {{.Name}}{{end}}", kContainer), "empty web");
}

TEST(GoTemplate, VariablesEndWithTheirBlock) {
  EXPECT_THROW(GoTemplate::parse("{{if true}}{{$x := 1}}{{end}}{{$x}}"), TemplateError);
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", json()), "2");
}

TEST(GoTemplate, TrimMarkersEatSurroundingSpace) {
  EXPECT_EQ(run("a  {{- .Name -}}  \n b", kContainer), "awebb");
  EXPECT_EQ(run("{{range .Config.Env -}}\n  {{.}}\n{{- end}}", kContainer), "A=1B=2");
  EXPECT_EQ(run("{{-3}}", json()), "-3") << "a minus without a space is a number";
}

TEST(GoTemplate, CommentsPrintNothing) {
  EXPECT_EQ(run("a{{/* a note */}}b", json()), "ab");
  EXPECT_EQ(run("a {{- /* trimmed */ -}} b", json()), "ab");
}

TEST(GoTemplate, Literals) {
  EXPECT_EQ(run(R"({{"tab\there"}} {{`raw\t`}} {{"\u00e9\x41"}})", json()), "tab\there raw\\t éA");
  EXPECT_EQ(run("{{1.5}} {{0x1F}} {{1e3}} {{true}} {{'a'}}", json()), "1.5 31 1000 true 97");
  EXPECT_EQ(run("{{nil}}", json()), "<no value>");
}

TEST(GoTemplate, PipelinesPassTheValueAsTheLastArgument) {
  EXPECT_EQ(run("{{.Name | upper}}", kContainer), "WEB");
  EXPECT_EQ(run("{{.Name | printf \"%s!\" | upper}}", kContainer), "WEB!");
  EXPECT_EQ(run("{{(index .Mounts 1).Source}}", kContainer), "/b");
  EXPECT_EQ(run("{{len (index .Config.Labels \"team\")}}", kContainer), "4");
}

TEST(GoTemplate, DeclarationsPrintNothing) {
  EXPECT_EQ(run("{{$x := .Name}}", kContainer), "");
}

TEST(GoTemplate, TextEscapesOnlyWhenAsked) {
  EXPECT_EQ(GoTemplate::parse(R"({{.Name}}\t{{.Id}}\n)", {true}).execute(kContainer),
            "web\t4f1c2d\n");
  EXPECT_EQ(run(R"(a\tb)", json()), R"(a\tb)");
}

TEST(GoTemplate, HeaderNamesFieldsAndLeavesOtherActionsEmpty) {
  const auto tmpl = GoTemplate::parse("{{.ID}}\t{{.CreatedAt}}\t{{.State.Pid}}\t{{json .}}\t"
                                      "{{if .A}}x{{end}}|");
  EXPECT_EQ(tmpl.header({{"ID", "CONTAINER ID"}}), "CONTAINER ID\tCREATED AT\tPID\t\t|");
  EXPECT_EQ(tmpl.header({{"State.Pid", "PROCESS"}}), "ID\tCREATED AT\tPROCESS\t\t|");
}

TEST(GoTemplate, HeaderWordsSplitCamelCase) {
  EXPECT_EQ(header_words("CreatedAt"), "CREATED AT");
  EXPECT_EQ(header_words("ImageID"), "IMAGE ID");
  EXPECT_EQ(header_words("IPv6"), "IPV6");
  EXPECT_EQ(header_words("Names"), "NAMES");
}

} // namespace
} // namespace berth
