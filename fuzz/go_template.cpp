// --format: the text a user hands `inspect`, `ps`, `images` and the rest,
// read by OutputFormat (json, table, Go templates) and run over objects
// shaped like the ones those commands print.
#include "fuzz_target.hpp"

#include "format/output_format.hpp"

#include <string>
#include <vector>

namespace {

using json = nlohmann::json;

const std::vector<json> &items() {
  static const std::vector<json> rows = {
      json::parse(R"({
        "Id": "4f1c2d", "Name": "web", "Created": "2024-01-02T03:04:05Z",
        "State": {"Pid": 4242, "Running": true, "ExitCode": 0, "Status": "running"},
        "Config": {"Labels": {"team": "core"}, "Env": ["A=1", "B=2"], "Cmd": null},
        "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.88.0.5"}}},
        "Mounts": [{"Source": "/a", "RW": true}, {"Source": "/b", "RW": false}],
        "Ratio": 0.25, "Size": -2.0, "Big": 18446744073709551615, "Small": -9223372036854775808
      })"),
      json::parse(R"({"Id": "99ab", "Name": "database-primary", "Mounts": [], "Ratio": 1e300})"),
  };
  return rows;
}

} // namespace

BERTH_FUZZ_TARGET(go_template) {
  const auto text = berth::fuzz::argument_of(data, size);
  try {
    const auto format = berth::OutputFormat::parse(text);
    (void)format.render(items(), {{"ID", "CONTAINER ID"}});
  } catch (const berth::TemplateError &e) {
    BERTH_FUZZ_CHECK(std::string(e.what()).starts_with("template"));
  }
  return 0;
}
